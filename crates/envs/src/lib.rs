//! Environments with Gymnasium semantics: the [`Env`] trait, spaces, vector
//! envs, wrappers, classic control ports and the labour tasks (SPEC §3).

mod env;
mod error;
mod info;
mod rgb_frame;
mod space;

pub use env::{Action, Env, Step, Transition};
pub use error::{EnvError, Result};
pub use info::{EnvFault, Info};
pub use rgb_frame::RgbFrame;
pub use space::{BoxSpace, Space};
