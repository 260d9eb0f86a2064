/**
 * The HiveMessage envelope (hivemind_bus_client's `HiveMessage.as_dict`) and the OVOS bus
 * message it carries for `msg_type: "bus"`. Plain JSON objects with the wire's field names.
 *
 * @module
 */
import { InvalidArgumentError, ProtocolError } from "../common/errors.js";
import { DEFAULT_SESSION_ID, POLICY_DENIED_TYPE } from "./constants.js";

/** A HiveMessage as it goes on the wire. Absent optional fields are written as hivemind_bus_client writes them. */
export interface HiveMessage {
  /** `bus`, `shared_bus`, `hello`, `shake`, `broadcast`, ... (`HIVEMIND_WIRE.MESSAGE_TYPES`). */
  msg_type: string;
  /** For `bus`: a {@link BusMessage}; for `broadcast`/`propagate`/...: an inner HiveMessage. */
  payload: unknown;
  /** Free-form metadata (default `{}`). */
  metadata?: Record<string, unknown> | undefined;
  /** The hops the message travelled (default `[]`). */
  route?: unknown[] | undefined;
  /** The sending node's id (default `null`). */
  node?: string | null | undefined;
  /** Target site id (default `null`). */
  target_site_id?: string | null;
  /** Target public key (default `null`). */
  target_pubkey?: string | null;
  /** The peer the message came from (default `null`). */
  source_peer?: string | null;
}

/** An OVOS bus message: the payload of a `bus` HiveMessage. */
export interface BusMessage {
  /** The bus message type, e.g. `recognizer_loop:utterance` or `speak`. */
  type: string;
  /** Its data. */
  data: Record<string, unknown>;
  /** Its context (session, source, destination, ...). */
  context: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Fills the defaults and checks the field types.
 * @throws InvalidArgumentError naming the field that is wrong
 */
export function toWireMessage(message: HiveMessage): Required<HiveMessage> {
  if (!isRecord(message)) throw new InvalidArgumentError("message must be a HiveMessage object");
  if (typeof message.msg_type !== "string" || message.msg_type.length === 0) throw new InvalidArgumentError("message.msg_type must be a non-empty string");
  if (message.metadata !== undefined && !isRecord(message.metadata)) throw new InvalidArgumentError("message.metadata must be an object");
  if (message.route !== undefined && !Array.isArray(message.route)) throw new InvalidArgumentError("message.route must be an array");
  for (const field of ["node", "target_site_id", "target_pubkey", "source_peer"] as const) {
    const value = message[field];
    if (value !== undefined && value !== null && typeof value !== "string") throw new InvalidArgumentError(`message.${field} must be a string or null`);
  }
  return {
    msg_type: message.msg_type,
    payload: message.payload ?? {},
    metadata: message.metadata ?? {},
    route: message.route ?? [],
    node: message.node ?? null,
    target_site_id: message.target_site_id ?? null,
    target_pubkey: message.target_pubkey ?? null,
    source_peer: message.source_peer ?? null,
  };
}

/** Serialises a HiveMessage as JSON text. */
export function serializeHiveMessage(message: HiveMessage): string {
  return JSON.stringify(toWireMessage(message));
}

/**
 * Parses a received HiveMessage (JSON text or its UTF-8 bytes).
 * @throws ProtocolError when it is not a JSON object with a string `msg_type`
 */
export function parseHiveMessage(text: string | Uint8Array): Required<HiveMessage> {
  let value: unknown;
  try {
    value = JSON.parse(typeof text === "string" ? text : new TextDecoder("utf-8", { fatal: true }).decode(text));
  } catch (cause) {
    throw new ProtocolError("a HiveMessage must be JSON text", { cause });
  }
  if (!isRecord(value) || typeof value.msg_type !== "string") throw new ProtocolError('a HiveMessage must be a JSON object with a string "msg_type"');
  try {
    return toWireMessage(value as unknown as HiveMessage);
  } catch (cause) {
    throw new ProtocolError(`malformed HiveMessage: ${(cause as Error).message}`, { cause });
  }
}

/** A `bus` HiveMessage carrying the OVOS message `{type, data, context}`. */
export function busMessage(type: string, data: Record<string, unknown> = {}, context: Record<string, unknown> = {}): HiveMessage {
  if (typeof type !== "string" || type.length === 0) throw new InvalidArgumentError("type must be a non-empty string");
  if (!isRecord(data)) throw new InvalidArgumentError("data must be an object");
  if (!isRecord(context)) throw new InvalidArgumentError("context must be an object");
  return { msg_type: "bus", payload: { type, data, context } satisfies BusMessage };
}

/** The OVOS message of a `bus` or `shared_bus` HiveMessage, or `undefined` when it carries none. */
export function busPayload(message: HiveMessage): BusMessage | undefined {
  const payload = message.payload;
  if ((message.msg_type !== "bus" && message.msg_type !== "shared_bus") || !isRecord(payload) || typeof payload.type !== "string") return undefined;
  return { type: payload.type, data: isRecord(payload.data) ? payload.data : {}, context: isRecord(payload.context) ? payload.context : {} };
}

/**
 * hivemind-core's answer to a bus message its policy refused: a `bus` message of type
 * `hive.policy.denied` with `{denied_type, code, reason, data}`.
 * @param data - the verdict's details (hivemind-core's ACL denial: `{msg_type, allowed}`)
 */
export function policyDeniedMessage(deniedType: string, code: string, reason: string, destination: string, data: Record<string, unknown> = {}): HiveMessage {
  return busMessage(POLICY_DENIED_TYPE, { denied_type: deniedType, code, reason, data }, { source: "hivemind-core", destination });
}

/** A random session id (never `default`). */
export function randomSessionId(): string {
  return globalThis.crypto.randomUUID();
}

/** Checks a session id: a non-empty string other than `default`. */
export function checkSessionId(sessionId: string, name: string): string {
  if (typeof sessionId !== "string" || sessionId.length === 0 || sessionId === DEFAULT_SESSION_ID) {
    throw new InvalidArgumentError(`${name} must be a non-empty string other than "${DEFAULT_SESSION_ID}" (hubs refuse it for non-admin clients)`);
  }
  return sessionId;
}
