/**
 * `poorman-handshake/fiber/chain`: Fiber on the Bittensor chain: the nodes of a subnet
 * (`fetchNodes`, `Metagraph`), posting a miner's axon (`postAxon`) and setting a
 * validator's weights (`setWeights`), through `polkadot-api` (an optional peer dependency:
 * `npm install polkadot-api @polkadot-api/substrate-bindings`).
 *
 * @module
 */
export { CHAIN_NETWORKS, Chain, chainEndpoint, connectChain, type ConnectChainOptions, type WebSocketClass } from "./client.js";
export { decodeNeuronsLite, divideToFloat, fetchNodes, ipToString, nodeFromNeuronInfoLite, nodesFromMetagraph, type DecodedMetagraph, type FetchNodesOptions, type NeuronInfoLite, type Node } from "./nodes.js";
export { DEFAULT_SYNC_INTERVAL_MS, Metagraph, nodeAddress, type MetagraphOptions, type MetagraphStatus } from "./metagraph.js";
// nodes.json is Fiber's one format (../nodes.ts), re-exported here beside the chain that fills it.
export { formatNodes, parseNodes, type FiberNode, type ParseNodesOptions } from "../nodes.js";
export { LOCAL_DEV_IP, MAX_WEIGHT, WEIGHTS_ERA_BLOCKS, normalizeWeights, parseIp, postAxon, setWeights, type Inclusion, type PostAxonOptions, type SetWeightsOptions, type SubmitOptions } from "./extrinsics.js";
export { ChainError, type ChainErrorReason } from "../../common/errors.js";
