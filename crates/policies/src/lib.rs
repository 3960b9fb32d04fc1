//! Policies on burn: networks, PPO, SAC, behaviour cloning, diffusion
//! policy, checkpoints and device selection (SPEC §4).
