//! Video to policy: decode demonstration videos, extract features, label
//! actions with an inverse dynamics model and build imitation datasets
//! (SPEC §5). No code yet.
