//! Training economics, layer 1 (SPEC §2): what an episode earns in dollars.
