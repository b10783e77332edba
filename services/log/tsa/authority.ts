import { randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import {
  Accuracy,
  AlgorithmIdentifier,
  Certificate,
  MessageImprint,
  PKIStatus,
  PKIStatusInfo,
  TimeStampResp,
  TSTInfo,
} from "pkijs";
import { ApiError } from "../../common/errors.ts";
import type { Signer } from "../../common/signer/types.ts";
import { hashLength, hashOid } from "./algorithms.ts";
import { requireHashAlgorithm, type TimestampRequest } from "./request.ts";
import { signTstInfo, type TokenSigner } from "./token.ts";

export type { TimestampRequest } from "./request.ts";
export { parseTimestampQuery } from "./request.ts";

/** Sigstore's timestamp-authority default policy (its `--tsa-policy-oid`). */
export const DEFAULT_POLICY_OID = "1.3.6.1.4.1.57264.2";

export interface TimestampAuthorityOptions {
  signer: Signer;
  /** DER certificates, TSA leaf first, then up to the root. */
  chain: Buffer[];
  policyOid?: string;
  accuracySeconds?: number;
  now?: () => Date;
}

/** Issues RFC 3161 TimeStampResp messages (with RFC 5816 signing-certificate-v2) for one key. */
export class TimestampAuthority {
  readonly policyOid: string;
  readonly #tsa: TokenSigner;
  readonly #accuracySeconds: number;
  readonly #now: () => Date;

  constructor(options: TimestampAuthorityOptions) {
    const [leafDer] = options.chain;
    if (leafDer === undefined) throw new Error("the TSA certificate chain is empty");
    const chain = options.chain.map((der) => Certificate.fromBER(new Uint8Array(der)));
    const leaf = chain[0] as Certificate;
    if (!Buffer.from(leaf.subjectPublicKeyInfo.toSchema().toBER()).equals(options.signer.spki)) {
      throw new Error("the TSA leaf certificate does not certify the TSA signer's public key");
    }
    this.#tsa = { signer: options.signer, leaf, leafDer, chain };
    this.policyOid = options.policyOid ?? DEFAULT_POLICY_OID;
    this.#accuracySeconds = options.accuracySeconds ?? 1;
    this.#now = options.now ?? (() => new Date());
  }

  /** Returns the DER TimeStampResp (RFC 3161 §2.4.2) granting a token over the request's imprint. */
  async timestamp(request: TimestampRequest): Promise<Buffer> {
    const tstInfo = this.#tstInfo(request);
    const token = await signTstInfo(
      this.#tsa,
      Buffer.from(tstInfo.toSchema().toBER()),
      tstInfo.genTime,
      request.certReq,
    );
    const response = new TimeStampResp({
      status: new PKIStatusInfo({ status: PKIStatus.granted }),
      timeStampToken: token,
    });
    return Buffer.from(response.toSchema().toBER());
  }

  #tstInfo(request: TimestampRequest): TSTInfo {
    const hashAlgorithm = requireHashAlgorithm(request.hashAlgorithm);
    if (request.messageImprint.length !== hashLength(hashAlgorithm)) {
      throw new ApiError(
        400,
        "INVALID_HASH_LENGTH",
        `a ${hashAlgorithm} imprint is ${hashLength(hashAlgorithm)} bytes, got ${request.messageImprint.length}`,
      );
    }
    if (request.policy !== undefined && request.policy !== this.policyOid) {
      throw new ApiError(400, "UNSUPPORTED_POLICY", `this TSA only issues under policy ${this.policyOid}`);
    }
    // RFC 3161 §2.4.2: ordering is omitted because DER leaves out its DEFAULT (FALSE).
    return new TSTInfo({
      version: 1,
      policy: this.policyOid,
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithmId: hashOid(hashAlgorithm) }),
        hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(request.messageImprint) }),
      }),
      serialNumber: asn1js.Integer.fromBigInt(randomSerial()),
      genTime: wholeSeconds(this.#now()),
      accuracy: new Accuracy({ seconds: this.#accuracySeconds }),
      ...(request.nonce !== undefined ? { nonce: asn1js.Integer.fromBigInt(request.nonce) } : {}),
    });
  }
}

/** RFC 3161 §2.4.2: unique serial; 127 random bits keep it positive and collision-free. */
function randomSerial(): bigint {
  return (BigInt(`0x${randomBytes(16).toString("hex")}`) >> 1n) + 1n;
}

/**
 * genTime carries whole seconds: DER drops trailing zeros of a fraction ("…05.12Z"), and
 * sigstore-js only parses exactly three fraction digits, so milliseconds would break ~1 in 10.
 */
function wholeSeconds(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 1000) * 1000);
}
