// RFC 4648 §4 base64 with its padding: the form Rekor's schemas, RFC 6962's JSON, the timestamp
// API and PEM bodies use.
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Whether `text` is standard padded base64 (the empty string included). */
export function isPaddedBase64(text: string): boolean {
  return PADDED_BASE64.test(text);
}
