/**
 * The routing fields of a HiveMessage as hivemind-core's hub handles them, as pure
 * functions: the hop a hub records for the client a message came from, the unpacking of
 * a wrapper (`_unpack_message`), the hop a hub adds before it forwards, and loop
 * detection (HIVEMIND-MSG-1 §5).
 *
 * @module
 */
import type { HiveMessage } from "./message.js";
import { toWireMessage } from "./message.js";

/** One hop of a message's `route`: who passed it on, and to whom. */
export interface RouteHop {
  /** The peer (or, for a forwarding hub's own hop, the node id) that passed it on. */
  source: string;
  /** Where it was sent. */
  targets: string[];
}

/** Most hops a hub accepts in a message's route; a longer route is refused. */
export const MAX_ROUTE_HOPS = 64;

const isHop = (hop: unknown): hop is RouteHop => {
  if (hop === null || typeof hop !== "object" || Array.isArray(hop)) return false;
  const { source, targets } = hop as Record<string, unknown>;
  return typeof source === "string" && source.length > 0 && Array.isArray(targets) && targets.length > 0 && targets.every((t) => typeof t === "string");
};

/**
 * The hops of `message.route` that hivemind_bus_client reads (an object with a non-empty
 * `source` and non-empty `targets`); anything else in the list is dropped, as its
 * `route` property drops it.
 */
export function routeOf(message: HiveMessage): RouteHop[] {
  return Array.isArray(message.route) ? message.route.filter(isHop).map((hop) => ({ source: hop.source, targets: [...hop.targets] })) : [];
}

/**
 * A copy of `message` as a hub records it on arrival (`handle_message`: `source_peer` is
 * the client's peer, then `update_hop_data`): a hop `{source: peer, targets: [peer]}` is
 * added unless the last hop already names that peer.
 */
export function arrivedFrom(message: HiveMessage, peer: string): Required<HiveMessage> {
  const route = routeOf(message);
  if (route.at(-1)?.source !== peer) route.push({ source: peer, targets: [peer] });
  return { ...toWireMessage(message), source_peer: peer, route };
}

/**
 * The message a wrapper (`broadcast`, `propagate`, `escalate`) carries, as a hub passes it
 * on (`_unpack_message`): it keeps the route the wrapper travelled and gets the hub as
 * `source_peer`. (hivemind-core also removes the sender from the inner message's target
 * peers; those are not on the wire, so a received message has none to remove.)
 * @param wrapper - the wrapper, as recorded on arrival ({@link arrivedFrom})
 * @param hubPeer - the hub's own name (its HELLO `node_id`)
 * @throws InvalidArgumentError when the payload is not a HiveMessage
 */
export function unpackMessage(wrapper: HiveMessage, hubPeer: string): Required<HiveMessage> {
  const inner = toWireMessage(wrapper.payload as HiveMessage);
  return { ...inner, route: routeOf(wrapper), source_peer: hubPeer };
}

/** True when `route` already holds a hop of `nodeId`: the message came back round a loop. */
export function isRoutingLoop(message: HiveMessage, nodeId: string): boolean {
  return routeOf(message).some((hop) => hop.source === nodeId);
}

/**
 * A copy of `message` with this hub's own hop appended, as hivemind-core does before it
 * forwards a PROPAGATE or ESCALATE: `{source: nodeId, targets: [hubPeer]}`.
 */
export function withOwnHop(message: Required<HiveMessage>, nodeId: string, hubPeer: string): Required<HiveMessage> {
  return { ...message, route: [...routeOf(message), { source: nodeId, targets: [hubPeer] }] };
}
