/**
 * The `nonce` field of encrypted payloads. Fiber's client adds the request's nonce to
 * every JSON object it encrypts (Python miners ignore it as an extra field); it is part of
 * the wire, not of the user's data. Our client refuses a payload that already has the
 * field (it would be overwritten) and our server removes it before `parse`, so strict
 * schemas see exactly what the validator's code passed to `post`.
 *
 * @module
 */
import { InvalidArgumentError } from "../common/errors.js";
import { PAYLOAD_NONCE_FIELD } from "./constants.js";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The body the client encrypts: an object payload gets the nonce field, anything else
 * (array, string, number, null) is sent as is, as Fiber does.
 * @throws InvalidArgumentError when the payload already has a `nonce` field
 */
export function addPayloadNonce(payload: unknown, nonce: string): unknown {
  if (!isPlainObject(payload)) return payload;
  if (Object.hasOwn(payload, PAYLOAD_NONCE_FIELD)) {
    throw new InvalidArgumentError(`payload must not have a "${PAYLOAD_NONCE_FIELD}" field: Fiber's wire uses it for the request nonce (rename yours)`);
  }
  return { ...payload, [PAYLOAD_NONCE_FIELD]: nonce };
}

/** The decrypted JSON without the nonce field the client added (objects only). */
export function withoutPayloadNonce(json: unknown): unknown {
  if (!isPlainObject(json) || !Object.hasOwn(json, PAYLOAD_NONCE_FIELD)) return json;
  const { [PAYLOAD_NONCE_FIELD]: _nonce, ...rest } = json;
  return rest;
}
