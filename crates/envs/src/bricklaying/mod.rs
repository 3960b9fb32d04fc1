//! The bricklaying task (SPEC §3): environment, parameters and scripted expert.
