/** Types of the two untyped peer packages the benchmarks compare with (devDependencies). */
declare module "noise-handshake" {
  /** A holepunch Noise handshake state (`Noise_*_25519_ChaChaPoly_BLAKE2b`, sodium-native). */
  export default class Noise {
    constructor(pattern: string, initiator: boolean, staticKeypair?: { publicKey: Uint8Array; secretKey: Uint8Array } | null, opts?: { psk?: Uint8Array });
    /** The static key pair (generated when none was given). */
    s: { publicKey: Uint8Array; secretKey: Uint8Array };
    initialise(prologue: Uint8Array, remoteStatic?: Uint8Array): void;
    send(payload?: Uint8Array): Uint8Array;
    recv(message: Uint8Array): Uint8Array;
    complete: boolean;
    tx: Uint8Array | null;
    rx: Uint8Array | null;
  }
}

declare module "fernet" {
  /** A key: 32 bytes in URL-safe base64. */
  class Secret {
    constructor(base64: string);
  }
  /** One token, to encode or decode. */
  class Token {
    constructor(options: { secret: Secret; token?: string; ttl?: number });
    encode(message: string): string;
    decode(token?: string): string;
  }
  /** The CommonJS module object. */
  const fernet: { Secret: typeof Secret; Token: typeof Token };
  export default fernet;
}
