/**
 * `poorman-handshake/hivemind`: HiveMind session crypto. Protocol v3 (Noise XXpsk2 /
 * KKpsk0 keyed by the password) with {@link HiveMindHub} and {@link HiveMindClient},
 * its transport frames, the PSK, and Python-identical canonical JSON. Isomorphic and
 * sans-I/O: no socket inside.
 *
 * @module
 */
export { HiveMindHub, type HiveMindHubOptions } from "./hub.js";
export { HiveMindClient, type HiveMindClientOptions } from "./client.js";
export { HiveMindTransport, type HiveMindFrameMessage, ReassemblyBudget, TransportLimitError, type TransportLimits } from "./transport.js";
export { buildPrologue, clearStaticKeyCache, protocolName, parseX25519Key, type JsonObject, type NoiseEnvelope } from "./session.js";
export {
  deriveHiveMindPsk,
  derivePsk,
  clearPskCache,
  pskSalt,
  pskKdfFromHandshake,
  ARGON2ID_KDF,
  HASH_WASM_ARGON2ID,
  argon2idImplementationInUse,
  setArgon2idImplementation,
  type Argon2idFunction,
  type PskKdf,
} from "./psk.js";
export { canonicalJson, pythonJsonDumps, pythonFloatRepr, compareCodePoints, type PythonJsonOptions } from "./json.js";
export { parseJsonKeepingNumbers, RawNumber, jsonNumber, type RawJsonValue } from "./json-parse.js";
export type { HiveMindPattern, HiveMindSuite, LegacyCipher, LegacyEncoding } from "./constants.js";
export * as HIVEMIND_WIRE from "./constants.js";
export { LegacyTransport, type LegacyTransportOptions } from "./legacy.js";
export { base91, z85b, z85p, type TextCodec } from "./encodings.js";
export { HiveMindNode, type HiveMindNodeOptions, type HiveMindNodeEvents, type HiveMindCloseEvent, type HiveMindRouteType } from "./satellite.js";
export { isSealedIntercom, openIntercom, rsaKeyId, sealIntercom, verifyIntercom, type BusClientIntercomPayload, type IntercomPayload, type SealIntercomOptions } from "./intercom.js";
export { arrivedFrom, isRoutingLoop, MAX_ROUTE_HOPS, routeOf, unpackMessage, withOwnHop, type RouteHop } from "./routing.js";
export { setWebSocketImplementation, type WebSocketLike, type WebSocketConstructor } from "./websocket.js";
export { encodeAuthorization, parseAuthorization, authorizationUrl, type HiveMindAuthorization } from "./authorization.js";
export {
  busMessage, busPayload, parseHiveMessage, serializeHiveMessage, policyDeniedMessage, toWireMessage,
  type BusMessage, type HiveMessage,
} from "./message.js";
export type { HiveMessageType } from "./constants.js";
