/** Servers run on core 0 and the generator on core 1, so neither steals the other's time. */
export const SERVER_CORE = 0
export const GENERATOR_CORE = 1
