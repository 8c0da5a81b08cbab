//! One value for each side of a profile, indexed by [`Side`].

use crate::planner::Side;
use std::ops::{Index, IndexMut};

/// One value for each side of a profile, indexed by [`Side`] (rather than
/// an array indexed by `side as usize`, or two parallel fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerSide<T> {
    /// The local side's value.
    pub local: T,
    /// The server side's value.
    pub server: T,
}

impl<T> PerSide<T> {
    /// The two values.
    pub fn new(local: T, server: T) -> Self {
        PerSide { local, server }
    }

    /// Each side's value from `f`.
    pub fn from_fn(mut f: impl FnMut(Side) -> T) -> Self {
        PerSide {
            local: f(Side::Local),
            server: f(Side::Server),
        }
    }

    /// Both values, by side, local first.
    pub fn iter(&self) -> impl Iterator<Item = (Side, &T)> {
        [(Side::Local, &self.local), (Side::Server, &self.server)].into_iter()
    }

    /// Both values, mutable, by side, local first.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Side, &mut T)> {
        [
            (Side::Local, &mut self.local),
            (Side::Server, &mut self.server),
        ]
        .into_iter()
    }
}

impl<T> Index<Side> for PerSide<T> {
    type Output = T;

    fn index(&self, side: Side) -> &T {
        match side {
            Side::Local => &self.local,
            Side::Server => &self.server,
        }
    }
}

impl<T> IndexMut<Side> for PerSide<T> {
    fn index_mut(&mut self, side: Side) -> &mut T {
        match side {
            Side::Local => &mut self.local,
            Side::Server => &mut self.server,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_index_their_own_value() {
        let mut values = PerSide::from_fn(|side| side.to_string());
        assert_eq!(values[Side::Local], "local");
        assert_eq!(values[Side::Server], "server");
        values[Side::Server].push('!');
        let all: Vec<(Side, &String)> = values.iter().collect();
        assert_eq!(
            all,
            [
                (Side::Local, &"local".to_string()),
                (Side::Server, &"server!".to_string())
            ]
        );
        for (_, value) in values.iter_mut() {
            value.clear();
        }
        assert_eq!(values, PerSide::default());
    }
}
