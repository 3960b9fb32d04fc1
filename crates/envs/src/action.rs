//! Actions as an env takes them: borrowed ([`Action`]) on the stepping
//! path, owned ([`OwnedAction`]) where they are sampled or stored.

/// One action, borrowed: an index for `Discrete`, a slice for `Box`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action<'a> {
    /// An index into a `Discrete` space.
    Discrete(usize),
    /// A point in a `Box` space, flattened.
    Continuous(&'a [f32]),
}

/// An owned action, e.g. one sampled from a space; borrow it with
/// [`OwnedAction::as_action`].
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedAction {
    /// An index into a `Discrete` space.
    Discrete(usize),
    /// A point in a `Box` space, flattened.
    Continuous(Vec<f32>),
}

impl OwnedAction {
    /// The borrowed form `Env::step` takes.
    pub fn as_action(&self) -> Action<'_> {
        match self {
            OwnedAction::Discrete(i) => Action::Discrete(*i),
            OwnedAction::Continuous(x) => Action::Continuous(x),
        }
    }
}
