/**
 * Type assertions for the corpus. `exact<T>()(value)` compiles only when `value`'s type is exactly `T`,
 * so an inferred listener parameter that silently became `any` (or a wider type) fails the build.
 * Nothing here imports the WebSocket module: the corpus test swaps only that specifier.
 */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

/** `exact<Buffer>()(data)`: a compile error unless `data` is a `Buffer` (not `any`, not a union with it). */
export function exact<Expected>() {
  return <Actual>(value: Actual, ..._proof: Equal<Actual, Expected> extends true ? [] : [never]): Actual => value;
}

/** Marks a value used, so the corpus reads like application code without unused-variable noise. */
export function use(..._values: unknown[]): void {}
