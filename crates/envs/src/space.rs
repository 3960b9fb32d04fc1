//! Observation and action spaces, as in Gymnasium.

use crate::{Action, EnvError, OwnedAction, Result};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A Gymnasium space: a bounded box of reals or a finite set of integers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Space {
    /// `Box(low, high, shape)` of f32 values.
    Box(BoxSpace),
    /// `Discrete(n)`: integers `0..n`.
    Discrete {
        /// Number of choices.
        n: usize,
    },
}

/// A box of f32 values with per-element bounds (bounds may be infinite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxSpace {
    /// Lower bound per element, row-major, `shape.iter().product()` long.
    #[serde(with = "bounds")]
    pub low: Vec<f32>,
    /// Upper bound per element.
    #[serde(with = "bounds")]
    pub high: Vec<f32>,
    /// Shape of one sample.
    pub shape: Vec<usize>,
}

/// Box bounds in text formats: JSON has no infinity, so an infinite bound
/// (CartPole's velocities) is written as the string `"inf"` or `"-inf"`.
mod bounds {
    use serde::de::Error as _;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[f32], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(values.len()))?;
        for v in values {
            match *v {
                v if v.is_finite() => seq.serialize_element(&v)?,
                f32::INFINITY => seq.serialize_element("inf")?,
                f32::NEG_INFINITY => seq.serialize_element("-inf")?,
                _ => return Err(serde::ser::Error::custom("a space bound is NaN")),
            }
        }
        seq.end()
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Bound {
        Number(f32),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f32>, D::Error> {
        Vec::<Bound>::deserialize(deserializer)?
            .into_iter()
            .map(|b| match b {
                Bound::Number(v) => Ok(v),
                Bound::Text(t) if t == "inf" => Ok(f32::INFINITY),
                Bound::Text(t) if t == "-inf" => Ok(f32::NEG_INFINITY),
                Bound::Text(t) => Err(D::Error::custom(format!(
                    "space bound `{t}`: expected a number, \"inf\" or \"-inf\""
                ))),
            })
            .collect()
    }
}

impl BoxSpace {
    /// A one-dimensional box with the given bounds.
    pub fn new(low: Vec<f32>, high: Vec<f32>) -> Self {
        let shape = vec![low.len()];
        Self { low, high, shape }
    }

    /// Number of elements in one sample.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether `x` has the right length and every element is within bounds.
    pub fn contains(&self, x: &[f32]) -> bool {
        x.len() == self.size()
            && x.iter()
                .zip(self.low.iter().zip(&self.high))
                .all(|(v, (lo, hi))| *v >= *lo && *v <= *hi)
    }
}

impl Space {
    /// Flat size of a sample as the networks see it: the box size, or 1 for
    /// a discrete action (an index).
    pub fn flat_size(&self) -> usize {
        match self {
            Space::Box(b) => b.size(),
            Space::Discrete { .. } => 1,
        }
    }
}

impl Space {
    /// Whether `action` can be passed to an env with this action space:
    /// a `Discrete` index below `n`, or a `Box` point of the right length
    /// whose elements are all finite. Box bounds are not enforced here:
    /// like Gymnasium's Pendulum, an env clips an out-of-range torque.
    pub fn check_action(&self, env: &str, action: Action<'_>) -> Result<()> {
        let ok = match (self, action) {
            (Space::Discrete { n }, Action::Discrete(i)) => i < *n,
            (Space::Box(b), Action::Continuous(x)) => {
                x.len() == b.size() && x.iter().all(|v| v.is_finite())
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(EnvError::InvalidAction {
                env: env.to_string(),
                expected: self.describe(),
                got: describe_action(action),
            })
        }
    }

    /// A short human description, e.g. `Discrete(2)` or `Box([-2.0], [2.0], shape [1])`.
    pub fn describe(&self) -> String {
        match self {
            Space::Discrete { n } => format!("Discrete({n})"),
            Space::Box(b) => format!(
                "Box({:?}, {:?}, shape {:?}) of finite values",
                b.low, b.high, b.shape
            ),
        }
    }

    /// Whether an observation belongs to this space (`Box` only: length
    /// and bounds; a `Discrete` observation is one index stored as f32).
    pub fn contains_obs(&self, obs: &[f32]) -> bool {
        match self {
            Space::Box(b) => b.contains(obs),
            Space::Discrete { n } => {
                obs.len() == 1 && obs[0] >= 0.0 && obs[0].fract() == 0.0 && (obs[0] as usize) < *n
            }
        }
    }

    /// A uniformly random member (Gymnasium's `sample`): uniform within
    /// finite box bounds, standard normal on unbounded sides (shifted
    /// exponential on half-bounded ones), a uniform index for `Discrete`.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> OwnedAction {
        match self {
            Space::Discrete { n } => OwnedAction::Discrete(rng.random_range(0..(*n).max(1))),
            Space::Box(b) => OwnedAction::Continuous(
                b.low
                    .iter()
                    .zip(&b.high)
                    .map(|(&lo, &hi)| sample_interval(rng, lo, hi))
                    .collect(),
            ),
        }
    }
}

fn sample_interval<R: Rng + ?Sized>(rng: &mut R, lo: f32, hi: f32) -> f32 {
    let u: f32 = rng.random();
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo + (hi - lo) * u).clamp(lo, hi),
        // Box-Muller with one uniform pair: enough for a checker's samples.
        (false, false) => {
            let v: f32 = rng.random();
            (-2.0 * (1.0 - u).ln()).sqrt() * (std::f32::consts::TAU * v).cos()
        }
        (true, false) => lo - (1.0 - u).ln(),
        (false, true) => hi + (1.0 - u).ln(),
    }
}

fn describe_action(action: Action<'_>) -> String {
    match action {
        Action::Discrete(i) => format!("Discrete index {i}"),
        Action::Continuous(x) => format!("continuous action {x:?} (length {})", x.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn infinite_bounds_round_trip_through_json() {
        let space = Space::Box(BoxSpace::new(
            vec![-4.8, f32::NEG_INFINITY],
            vec![4.8, f32::INFINITY],
        ));
        let json = serde_json::to_string(&space).expect("serialises");
        assert!(
            json.contains("\"-inf\"") && json.contains("\"inf\""),
            "{json}"
        );
        let back: Space = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, space);
        assert!(serde_json::from_str::<Space>(&json.replace("\"inf\"", "\"huge\"")).is_err());
    }

    #[test]
    fn check_action_rejects_wrong_kind_length_index_and_nan() {
        let d = Space::Discrete { n: 2 };
        assert!(d.check_action("t", Action::Discrete(1)).is_ok());
        assert!(d.check_action("t", Action::Discrete(2)).is_err());
        assert!(d.check_action("t", Action::Continuous(&[0.0])).is_err());
        let b = Space::Box(BoxSpace::new(vec![-2.0], vec![2.0]));
        assert!(b.check_action("t", Action::Continuous(&[3.0])).is_ok());
        assert!(
            b.check_action("t", Action::Continuous(&[f32::NAN]))
                .is_err()
        );
        assert!(
            b.check_action("t", Action::Continuous(&[f32::INFINITY]))
                .is_err()
        );
        assert!(
            b.check_action("t", Action::Continuous(&[0.0, 0.0]))
                .is_err()
        );
        assert!(b.check_action("t", Action::Discrete(0)).is_err());
    }

    #[test]
    fn samples_belong_to_their_space() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let b = Space::Box(BoxSpace::new(vec![-2.0, 0.0], vec![2.0, 1.0]));
        for _ in 0..1000 {
            match b.sample(&mut rng) {
                OwnedAction::Continuous(x) => assert!(b.contains_obs(&x)),
                OwnedAction::Discrete(_) => panic!("box sampled an index"),
            }
            match (Space::Discrete { n: 3 }).sample(&mut rng) {
                OwnedAction::Discrete(i) => assert!(i < 3),
                OwnedAction::Continuous(_) => panic!("discrete sampled a vector"),
            }
        }
    }
}
