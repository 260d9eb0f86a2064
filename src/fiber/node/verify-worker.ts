/**
 * The worker thread of `SignatureVerifyPool`: runs `Keypair.verify` for each message
 * `{ id, message, signature, address }` and answers `{ id, ok }`.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { Keypair } from "../keypair.js";

/** One verification asked of the worker. */
export interface VerifyJob {
  id: number;
  message: string;
  signature: string;
  address: string;
}

parentPort?.on("message", (job: VerifyJob) => {
  void Keypair.verify(job.message, job.signature, job.address).then(
    (ok) => parentPort!.postMessage({ id: job.id, ok }),
    () => parentPort!.postMessage({ id: job.id, ok: false }),
  );
});
