//! Any action, however malformed, is either accepted or refused with a
//! typed error: never a panic, and a refused action leaves the episode
//! usable.

use envs::{Action, Env, EnvError};
use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_continuous_actions_never_panic(values in prop::collection::vec(any::<f32>(), 0..8), index in any::<usize>()) {
        for id in envs::registered_ids() {
            let mut env = envs::make(id).expect("make");
            env.reset(Some(0)).expect("reset");
            for action in [Action::Continuous(&values), Action::Discrete(index)] {
                // The env must agree with its action space about validity.
                let valid = env.action_space().check_action(id, action).is_ok();
                match env.step(action) {
                    Ok(step) => {
                        prop_assert!(valid, "{id} accepted {action:?}");
                        prop_assert!(step.reward.is_finite());
                    }
                    Err(EnvError::InvalidAction { .. }) => prop_assert!(!valid, "{id} refused {action:?}"),
                    Err(e) => prop_assert!(false, "{id}: unexpected error {e}"),
                }
            }
            // Still usable after refusals.
            let valid = env.action_space().sample(&mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0));
            prop_assert!(env.step(valid.as_action()).is_ok());
        }
    }
}
