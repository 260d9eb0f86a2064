// The npm zxcvbn 4.4.2 package ships no types; src/password/strength.ts types what it uses.
declare module "zxcvbn" {
  const zxcvbn: unknown;
  export default zxcvbn;
}
declare module "zxcvbn/lib/scoring.js" {
  const scoring: unknown;
  export default scoring;
}
