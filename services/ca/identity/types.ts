export type IssuerType = "email" | "kubernetes" | "github-workflow" | "uri" | "spiffe";

export interface IssuerConfig {
  /** The exact issuer URL (the token's `iss`), or */
  url?: string;
  /**
   * a meta-issuer pattern where `*` stands for one path segment or host label, as in
   * Fulcio's `https://oidc.eks.*.amazonaws.com/id/*`.
   */
  metaUrl?: string;
  /** The audience the token must carry, normally "sigstore". */
  clientId: string;
  type: IssuerType;
  /** uri: the scheme://host the subject must sit under; spiffe: the trust domain. */
  subjectDomain?: string;
}

export interface Principal {
  /** The token's `iss`: into extensions .1.1 (raw) and .1.8 (DER UTF8String). */
  issuer: string;
  issuerType: IssuerType;
  /** The token's `sub`. */
  subject: string;
  /**
   * What the client signed as proof of possession: the token's `email` claim when it has one,
   * else `sub` (sigstore-js behaviour).
   */
  challenge: string;
  san: { kind: "email" | "uri"; value: string };
  /**
   * Extension values beyond the issuer, already DER-encoded as Fulcio emits them: .1.2–.1.6 raw
   * (legacy GitHub), .1.9–.1.22 and .1.24 UTF8String. In OID order.
   */
  extensions: Array<{ oid: string; value: Buffer }>;
}
