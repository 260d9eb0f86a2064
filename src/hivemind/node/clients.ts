/**
 * The hub's client records: who may connect (access key), with which password, under
 * which name, sending which bus types and routing envelopes, with which pinned X25519 and
 * RSA keys.
 *
 * @module
 */
import { InvalidArgumentError } from "../../common/errors.js";
import { parseX25519Key, rsaKeyId } from "../index.js";

/** One client the hub knows. */
export interface HiveMindClientRecord {
  /** The access key the client presents in its authorization. */
  accessKey: string;
  /** Its HiveMind password (keys the PSK). */
  password: string;
  /** Its name: unique, the key of its pin in the pin store. */
  name: string;
  /** Bus types it may send; every type when absent (an empty list denies all). */
  allowedTypes?: readonly string[] | undefined;
  /** Its pinned X25519 static key, 64 hex digits: KKpsk0 is offered only then. */
  pinnedKey?: string | undefined;
  /**
   * May send BROADCAST (hivemind-core's `is_admin`; default false). A client that is not
   * and sends one is disconnected, as hivemind-core does.
   */
  isAdmin?: boolean | undefined;
  /** May send PROPAGATE and CASCADE (hivemind-core's `can_propagate`; default true); otherwise disconnected. */
  canPropagate?: boolean | undefined;
  /** May send ESCALATE and QUERY (hivemind-core's `can_escalate`; default true); otherwise disconnected. */
  canEscalate?: boolean | undefined;
  /**
   * Its RSA public key (PEM): the pin its INTERCOM signatures are checked against. When
   * absent, the first key its HELLO presents is pinned for the hub's lifetime, as
   * hivemind-core pins it.
   */
  rsaPublicKey?: string | undefined;
}

/** Where the hub looks client records up (a database, say). */
export interface HiveMindClientStore {
  /** The record of `accessKey`, or `undefined` for an unknown key. */
  get(accessKey: string): Promise<HiveMindClientRecord | undefined> | HiveMindClientRecord | undefined;
}

/**
 * Checks one record.
 * @throws InvalidArgumentError naming the record and field
 */
export function checkClientRecord(record: HiveMindClientRecord, where: string): HiveMindClientRecord {
  if (record === null || typeof record !== "object") throw new InvalidArgumentError(`${where} must be an object`);
  for (const field of ["accessKey", "password", "name"] as const) {
    if (typeof record[field] !== "string" || record[field].length === 0) throw new InvalidArgumentError(`${where}.${field} must be a non-empty string`);
  }
  if (record.allowedTypes !== undefined && (!Array.isArray(record.allowedTypes) || !record.allowedTypes.every((t) => typeof t === "string"))) {
    throw new InvalidArgumentError(`${where}.allowedTypes must be an array of strings`);
  }
  if (record.pinnedKey !== undefined) parseX25519Key(record.pinnedKey, `${where}.pinnedKey`);
  for (const flag of ["isAdmin", "canPropagate", "canEscalate"] as const) {
    if (record[flag] !== undefined && typeof record[flag] !== "boolean") throw new InvalidArgumentError(`${where}.${flag} must be true or false, got ${JSON.stringify(record[flag])}`);
  }
  if (record.rsaPublicKey !== undefined && rsaKeyId(record.rsaPublicKey) === undefined) throw new InvalidArgumentError(`${where}.rsaPublicKey must be an RSA public key in PEM`);
  return record;
}

/**
 * A store over a list of records, indexed by access key.
 * @throws InvalidArgumentError for a bad record or a repeated access key or name
 */
export function clientStore(clients: readonly HiveMindClientRecord[] | HiveMindClientStore): HiveMindClientStore {
  if (!Array.isArray(clients)) {
    if (clients === null || typeof (clients as HiveMindClientStore).get !== "function") throw new InvalidArgumentError("clients must be an array of client records or a store with get(accessKey)");
    return clients as HiveMindClientStore;
  }
  const byKey = new Map<string, HiveMindClientRecord>();
  const names = new Set<string>();
  clients.forEach((record: HiveMindClientRecord, i: number) => {
    checkClientRecord(record, `clients[${i}]`);
    if (byKey.has(record.accessKey)) throw new InvalidArgumentError(`clients[${i}].accessKey is repeated`);
    if (names.has(record.name)) throw new InvalidArgumentError(`clients[${i}].name ${JSON.stringify(record.name)} is repeated (names key the pins)`);
    byKey.set(record.accessKey, { ...record });
    names.add(record.name);
  });
  return { get: (accessKey) => byKey.get(accessKey) };
}
