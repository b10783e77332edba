import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../common/config.ts";
import { certificatesFromPem } from "../common/pem.ts";
import type { SigningServices } from "./signing-config.ts";
import type { AuthorityDescription, InstanceDescription, LogDescription } from "./trusted-root.ts";

/**
 * The files the CLI reads to describe an instance: JSON naming PEM files (paths relative to the
 * description) instead of embedding DER, so a description is written and reviewed by hand.
 *
 *   { "tlogs": [{ "baseUrl": "https://rekor.example.com", "publicKey": "rekor.pub",
 *                 "validFor": { "start": "2025-01-01T00:00:00Z" } }],
 *     "ctlogs": [...same],
 *     "certificateAuthorities": [{ "uri": "https://fulcio.example.com",
 *        "subject": { "organization": "Example", "commonName": "fulcio" },
 *        "chain": "fulcio-chain.pem", "validFor": { "start": "..." } }],
 *     "timestampAuthorities": [...same, chain leaf first] }
 */
const window = z.object({ start: z.iso.datetime(), end: z.iso.datetime().optional() });
const log = z.object({ baseUrl: z.url(), publicKey: z.string().min(1), validFor: window });
const authority = z.object({
  uri: z.url(),
  subject: z.object({ organization: z.string().min(1), commonName: z.string().min(1) }),
  chain: z.string().min(1),
  validFor: window,
});
const instanceFile = z.object({
  tlogs: z.array(log),
  ctlogs: z.array(log).default([]),
  certificateAuthorities: z.array(authority),
  timestampAuthorities: z.array(authority).default([]),
});

/** `{ operator, validFor, ca, oidc?, rekor, tsa? }`, the services a signing config names. */
const servicesFile = z.object({
  operator: z.string().min(1),
  validFor: window,
  ca: z.url(),
  oidc: z.url().optional(),
  rekor: z.url(),
  tsa: z.url().optional(),
});

async function readJsonFile<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`${path}: cannot read JSON (${String(error)})`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(`${path}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`);
}

const windowOf = (validFor: z.infer<typeof window>) => ({
  start: new Date(validFor.start),
  ...(validFor.end ? { end: new Date(validFor.end) } : {}),
});

async function pemBlocks(path: string, label: string): Promise<Buffer[]> {
  const pem = await readFile(path, "utf8").catch((error: unknown) => {
    throw new ConfigError(`${path}: cannot read (${String(error)})`);
  });
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`, "g");
  const blocks = [...pem.matchAll(pattern)].map((match) =>
    Buffer.from((match[1] ?? "").replace(/\s/g, ""), "base64"),
  );
  if (blocks.length === 0) throw new ConfigError(`${path}: no PEM ${label} found`);
  return blocks;
}

async function spkiOf(path: string): Promise<Buffer> {
  return (await pemBlocks(path, "PUBLIC KEY"))[0] as Buffer;
}

/** DER certificates in file order; each must parse, so a typo fails here and not at clients. */
async function chainOf(path: string): Promise<Buffer[]> {
  const pem = await readFile(path, "utf8").catch((error: unknown) => {
    throw new ConfigError(`${path}: cannot read (${String(error)})`);
  });
  return certificatesFromPem(pem, path, (message) => new ConfigError(message));
}

/** The instance a description file names, its key and certificate files read. */
export async function readInstanceDescription(path: string): Promise<InstanceDescription> {
  const file = await readJsonFile(path, instanceFile);
  const near = (name: string) => resolve(dirname(path), name);
  const logOf = async (entry: z.infer<typeof log>): Promise<LogDescription> => ({
    baseUrl: entry.baseUrl,
    spki: await spkiOf(near(entry.publicKey)),
    validFor: windowOf(entry.validFor),
  });
  const authorityOf = async (entry: z.infer<typeof authority>): Promise<AuthorityDescription> => ({
    uri: entry.uri,
    subject: entry.subject,
    chain: await chainOf(near(entry.chain)),
    validFor: windowOf(entry.validFor),
  });
  return {
    tlogs: await Promise.all(file.tlogs.map(logOf)),
    ctlogs: await Promise.all(file.ctlogs.map(logOf)),
    certificateAuthorities: await Promise.all(file.certificateAuthorities.map(authorityOf)),
    timestampAuthorities: await Promise.all(file.timestampAuthorities.map(authorityOf)),
  };
}

export async function readSigningServices(path: string): Promise<SigningServices> {
  const { validFor, ...services } = await readJsonFile(path, servicesFile);
  return { ...services, validFor: windowOf(validFor) };
}
