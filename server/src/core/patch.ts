/**
 * The typed patch a change of an aggregate carries (core/state.ts): the fields it sets, and the optional
 * fields it removes. A field left out, or given as undefined, is left as it is; `clear` names what goes.
 * Sub-documents an aggregate changes field by field are patches of their own (a `Patch` inside a `Patch`);
 * the aggregate's repository knows which, and writes them path by path.
 */

/** The keys of T whose fields may be absent. */
export type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

export type Patch<T> = { readonly [K in keyof T]?: T[K] } & { readonly clear?: readonly OptionalKeys<T>[] };
