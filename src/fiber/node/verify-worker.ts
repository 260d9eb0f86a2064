/**
 * The worker thread of `SignatureVerifyPool`: each message is a batch of jobs
 * `{ id, message, signature, address }`; it runs `Keypair.verify` on each and answers the
 * batch in one message, `[id, ok, id, ok, …]` (ok: 1 or 0).
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

/** A batch's answers: each job's id, then 1 when its signature verified, else 0. */
export type VerifyAnswers = number[];

parentPort?.on("message", (jobs: VerifyJob[]) => {
  void Promise.all(jobs.map((job) => Keypair.verify(job.message, job.signature, job.address).catch(() => false))).then((oks) => {
    const answers: VerifyAnswers = [];
    jobs.forEach((job, i) => answers.push(job.id, oks[i] === true ? 1 : 0));
    parentPort!.postMessage(answers);
  });
});
