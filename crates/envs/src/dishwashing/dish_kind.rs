//! The kinds of dish in the sink, with realistic sizes and masses.

use super::BreakForces;

/// A kind of dish. All are modelled as solid cylinders standing on their
/// base (the collision shape of a bowl or mug is its bounding cylinder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DishKind {
    /// Porcelain dinner plate: 24 cm across, 2 cm tall, 0.55 kg.
    Plate,
    /// Porcelain bowl: 16 cm across, 7 cm tall, 0.35 kg.
    Bowl,
    /// Stoneware mug: 9 cm across, 10 cm tall, 0.30 kg.
    Cup,
}

impl DishKind {
    /// All kinds, in one-hot order.
    pub const ALL: [DishKind; 3] = [DishKind::Plate, DishKind::Bowl, DishKind::Cup];

    /// Radius, m.
    pub fn radius(self) -> f32 {
        match self {
            DishKind::Plate => 0.12,
            DishKind::Bowl => 0.08,
            DishKind::Cup => 0.045,
        }
    }

    /// Half height, m.
    pub fn half_height(self) -> f32 {
        match self {
            DishKind::Plate => 0.01,
            DishKind::Bowl => 0.035,
            DishKind::Cup => 0.05,
        }
    }

    /// Mass, kg.
    pub fn mass(self) -> f32 {
        match self {
            DishKind::Plate => 0.55,
            DishKind::Bowl => 0.35,
            DishKind::Cup => 0.30,
        }
    }

    /// Index in [`DishKind::ALL`] (the one-hot position).
    pub fn index(self) -> usize {
        match self {
            DishKind::Plate => 0,
            DishKind::Bowl => 1,
            DishKind::Cup => 2,
        }
    }

    /// Break threshold for this kind, N.
    pub fn break_force(self, forces: &BreakForces) -> f32 {
        match self {
            DishKind::Plate => forces.plate,
            DishKind::Bowl => forces.bowl,
            DishKind::Cup => forces.cup,
        }
    }

    /// Colour for rendering (dirty; clean dishes are drawn whiter).
    pub fn color(self) -> [f32; 3] {
        match self {
            DishKind::Plate => [0.80, 0.74, 0.55],
            DishKind::Bowl => [0.72, 0.62, 0.45],
            DishKind::Cup => [0.62, 0.50, 0.40],
        }
    }
}
