/**
 * Fixed vectors for the entry kinds: one P-256 key, an artifact, its signature, and a DSSE envelope
 * over an in-toto statement about that artifact. Generated once with node:crypto; the digests and
 * base64 below were computed with Python's hashlib/base64, not with the code under test.
 */

export const FIXED_KEY_PEM =
  "-----BEGIN PUBLIC KEY-----\n" +
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKiuf5FMquUu4Vrs66EyI6iShO9AO\n" +
  "+oQ1UWgtQWeaQqsG5vZ2xfr8LPP9H2AOEwPmh8jHr2v/DGxVKGIm9FMt5w==\n" +
  "-----END PUBLIC KEY-----\n";

/** base64 of FIXED_KEY_PEM, as clients send it and as Rekor stores it. */
export const FIXED_KEY_CONTENT =
  "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFS2l1ZjVGTXF1VXU0VnJzNjZFeUk2aVNoTzlBTworb1ExVVdndFFXZWFRcXNHNXZaMnhmcjhMUFA5SDJBT0V3UG1oOGpIcjJ2L0RHeFZLR0ltOUZNdDV3PT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg==";

/** sha256 of the key's DER SubjectPublicKeyInfo. */
export const FIXED_KEY_SPKI_SHA256 = "7955353012fe83528bbfd5badffdd33097e56edca7e4e79fb122d0dfb98b7448";

export const FIXED_ARTIFACT = Buffer.from("signet fixture artifact\n");
export const FIXED_ARTIFACT_SHA256 = "4cbb5a0845ed837b711f7b0b62bd8b97d80f809c901cf68c9a3436ee84dbfcad";
/** ECDSA P-256 SHA-256 over FIXED_ARTIFACT, DER, base64. */
export const FIXED_ARTIFACT_SIGNATURE =
  "MEYCIQDn6ruCstyS9BXbowyCqdc9rZN7bZVVlHUTG56bQotD4wIhAJZPTGZuBIPt+oWu660mpnFNVa4CvEEG/hBTQymuj9Wl";

export const FIXED_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** An in-toto statement whose one subject is FIXED_ARTIFACT. */
export const FIXED_PAYLOAD = Buffer.from(
  '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"artifact.txt","digest":{"sha256":"4cbb5a0845ed837b711f7b0b62bd8b97d80f809c901cf68c9a3436ee84dbfcad"}}],"predicateType":"https://example.com/predicate/v1","predicate":{}}',
);
export const FIXED_PAYLOAD_BASE64 =
  "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0IjpbeyJuYW1lIjoiYXJ0aWZhY3QudHh0IiwiZGlnZXN0Ijp7InNoYTI1NiI6IjRjYmI1YTA4NDVlZDgzN2I3MTFmN2IwYjYyYmQ4Yjk3ZDgwZjgwOWM5MDFjZjY4YzlhMzQzNmVlODRkYmZjYWQifX1dLCJwcmVkaWNhdGVUeXBlIjoiaHR0cHM6Ly9leGFtcGxlLmNvbS9wcmVkaWNhdGUvdjEiLCJwcmVkaWNhdGUiOnt9fQ==";
export const FIXED_PAYLOAD_SHA256 = "8dbddd4ecbe20d5ccdf79ecf448def689eebf1762ff8db66d74ba89cc4366e18";
/** ECDSA P-256 SHA-256 over PAE(FIXED_PAYLOAD_TYPE, FIXED_PAYLOAD), DER, base64. */
export const FIXED_DSSE_SIGNATURE =
  "MEUCIQCy1Gv1iZRMUaj/w6TX6QioSWjxjHkv5dq4niS9qTT2ggIgPR75cHZY/nd9oRrZtmNB06+2PfmbvhR0ZPEf5Nnb0ak=";

/** The envelope as sigstore-js serializes it (JSON.stringify of envelopeToJSON). */
export const FIXED_ENVELOPE = `{"payload":"${FIXED_PAYLOAD_BASE64}","payloadType":"${FIXED_PAYLOAD_TYPE}","signatures":[{"sig":"${FIXED_DSSE_SIGNATURE}"}]}`;
export const FIXED_ENVELOPE_SHA256 = "25991521e55e6ada0b40ced8ea24b394be41ec8068b2213403b7ddf8c63a1038";

/** intoto 0.0.2 fields: base64 of the envelope's own base64 text. */
export const FIXED_INTOTO_PAYLOAD =
  "ZXlKZmRIbHdaU0k2SW1oMGRIQnpPaTh2YVc0dGRHOTBieTVwYnk5VGRHRjBaVzFsYm5RdmRqRWlMQ0p6ZFdKcVpXTjBJanBiZXlKdVlXMWxJam9pWVhKMGFXWmhZM1F1ZEhoMElpd2laR2xuWlhOMElqcDdJbk5vWVRJMU5pSTZJalJqWW1JMVlUQTRORFZsWkRnek4ySTNNVEZtTjJJd1lqWXlZbVE0WWprM1pEZ3daamd3T1dNNU1ERmpaalk0WXpsaE16UXpObVZsT0RSa1ltWmpZV1FpZlgxZExDSndjbVZrYVdOaGRHVlVlWEJsSWpvaWFIUjBjSE02THk5bGVHRnRjR3hsTG1OdmJTOXdjbVZrYVdOaGRHVXZkakVpTENKd2NtVmthV05oZEdVaU9udDlmUT09";
export const FIXED_INTOTO_SIGNATURE =
  "TUVVQ0lRQ3kxR3YxaVpSTVVhai93NlRYNlFpb1NXanhqSGt2NWRxNG5pUzlxVFQyZ2dJZ1BSNzVjSFpZL25kOW9Sclp0bU5CMDYrMlBmbWJ2aFIwWlBFZjVObmIwYWs9";
/** sigstore-js calculateDSSEHash: sha256(JCS {payload, payloadType, signatures: [{publicKey: PEM, sig}]}). */
export const FIXED_INTOTO_HASH = "89e9c445f1e0e21b7dd8de82f4eda7b5a97aa974d275fcfbe95384376331b1e4";
