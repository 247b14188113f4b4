// How weft recognises its own links and routes on a host, so that a restarting cell does not mistake
// them for the host's (see overlay-choice) and an operator can tell them apart (`ip route show proto 87`).

/** Routing protocol number on every route weft adds; unassigned in iproute2's rt_protos. */
export const WEFT_ROUTE_PROTO = 87;

/** Link alias prefix on every interface weft creates on the host. */
export const WEFT_LINK_ALIAS_PREFIX = 'weft:';
