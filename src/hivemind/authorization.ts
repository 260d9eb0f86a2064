/**
 * The HiveMind authorization: `?authorization=` base64 of UTF-8 `useragent:access_key`
 * in the WebSocket URL, as hivemind-websocket-protocol reads it.
 *
 * @module
 */
import { astring, fromBase64, toBase64, utf8 } from "../common/bytes.js";
import { HandshakeRejectedError, InvalidArgumentError } from "../common/errors.js";
import { AUTHORIZATION_PARAM } from "./constants.js";

/** The two halves of an authorization. */
export interface HiveMindAuthorization {
  /** The client's self-declared name. */
  readonly useragent: string;
  /** The access key that identifies the client's record at the hub. */
  readonly accessKey: string;
}

/** base64 of UTF-8 `useragent:access_key` (standard alphabet, padded). */
export function encodeAuthorization(useragent: string, accessKey: string): string {
  astring(useragent, "useragent");
  astring(accessKey, "accessKey");
  if (useragent.length === 0 || useragent.includes(":")) throw new InvalidArgumentError('useragent must be a non-empty string without ":"');
  if (accessKey.length === 0) throw new InvalidArgumentError("accessKey must be a non-empty string");
  return toBase64(utf8(`${useragent}:${accessKey}`));
}

/**
 * The hub's URL with the authorization added, URL-encoded (a `+` of base64 becomes `%2B`,
 * which every hub reads back as `+`).
 */
export function authorizationUrl(url: string, useragent: string, accessKey: string): string {
  let parsed: URL;
  try {
    parsed = new URL(astring(url, "url"));
  } catch (cause) {
    throw new InvalidArgumentError(`url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`, { cause });
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") throw new InvalidArgumentError(`url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
  parsed.searchParams.set(AUTHORIZATION_PARAM, encodeAuthorization(useragent, accessKey));
  return parsed.toString();
}

/**
 * Reads the authorization of a request URL (its path and query). Accepts a URL-encoded
 * value and the real Python client's unencoded one: its `+` arrives as a space once the
 * query is decoded, and base64 has no spaces, so a space is read back as `+`.
 * @throws HandshakeRejectedError when the argument is absent, not base64, not UTF-8, or
 *   lacks a `:` between a non-empty useragent and key
 */
export function parseAuthorization(requestUrl: string): HiveMindAuthorization {
  const query = new URL(requestUrl, "ws://hub.invalid").searchParams.get(AUTHORIZATION_PARAM);
  if (query === null || query.length === 0) throw new HandshakeRejectedError("invalid authorization: the authorization query argument is missing");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(fromBase64(query.replaceAll(" ", "+"), "authorization"));
  } catch (cause) {
    throw new HandshakeRejectedError("invalid authorization: not base64 of UTF-8 text", { cause });
  }
  const colon = text.indexOf(":");
  const useragent = colon < 0 ? "" : text.slice(0, colon);
  const accessKey = colon < 0 ? "" : text.slice(colon + 1);
  if (useragent.length === 0 || accessKey.length === 0) throw new HandshakeRejectedError('invalid authorization: expected "useragent:access_key" with both parts non-empty');
  return { useragent, accessKey };
}
