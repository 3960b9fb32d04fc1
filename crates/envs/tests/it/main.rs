//! Integration tests of the `envs` crate, one module per area.

mod env_checks;
mod gymnasium_parity;
mod invalid_actions;
mod labour;
mod trajectory_hashes;
mod vec_env;
