/**
 * A domain rule a request breaks, said in words: which field, which rule, why. lib/ throws it;
 * src/errors.ts turns it into the client's 422 in one place.
 */
export class RuleViolation extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = "RuleViolation";
  }
}
