//! The dice behind injected faults: latency, failed answers (500, 502, 503) and connections
//! dropped mid-body. One seeded generator decides, so a sequence of requests meets the same
//! faults on every run.

use crate::domain::config::Faults;
use crate::domain::lock::lock;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;

/// The failed answer an injected fault sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 500 with a .NET exception body.
    Exception,
    /// 502 with an HTML page.
    BadGateway,
    /// 503 with an HTML page.
    Unavailable,
}

/// What the dice decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roll {
    /// Answer with this failure instead of serving the request.
    pub fail: Option<Failure>,
    /// Serve the request, then drop the connection halfway through the body.
    pub reset: bool,
}

/// The seeded generator behind every fault decision, with the faults it decides.
pub struct FaultDice {
    dice: Mutex<(Faults, StdRng)>,
}

impl FaultDice {
    /// Dice for `faults`, seeded with its seed.
    pub fn new(faults: Faults) -> FaultDice {
        FaultDice {
            dice: Mutex::new((faults, StdRng::seed_from_u64(faults.seed))),
        }
    }

    /// The faults configured.
    pub fn faults(&self) -> Faults {
        lock(&self.dice).0
    }

    /// Decides `faults` from now on, the generator seeded again with its seed.
    pub fn set(&self, faults: Faults) {
        *lock(&self.dice) = (faults, StdRng::seed_from_u64(faults.seed));
    }

    /// One request's faults: whether it fails, whether it is cut, and which failure, all
    /// three drawn every time so the sequence stays aligned whatever happens.
    pub fn roll(&self) -> Roll {
        let (faults, rng) = &mut *lock(&self.dice);
        let fail = rng.random::<f64>() < faults.fail_rate;
        let reset = rng.random::<f64>() < faults.reset_rate;
        let failure = match rng.random_range(0..3u8) {
            0 => Failure::Exception,
            1 => Failure::BadGateway,
            _ => Failure::Unavailable,
        };
        Roll {
            fail: fail.then_some(failure),
            reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_are_reproducible() {
        let faults = Faults {
            fail_rate: 0.3,
            reset_rate: 0.2,
            seed: 7,
            ..Faults::default()
        };
        let a: Vec<_> = (0..50)
            .map({
                let d = FaultDice::new(faults);
                move |_| d.roll()
            })
            .collect();
        let b: Vec<_> = (0..50)
            .map({
                let d = FaultDice::new(faults);
                move |_| d.roll()
            })
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().any(|r| r.fail.is_some()) && a.iter().any(|r| r.fail.is_none()));
        let dice = FaultDice::new(Faults::default());
        assert_eq!(dice.roll().fail, None);
        dice.set(faults);
        let c: Vec<_> = (0..50).map(|_| dice.roll()).collect();
        assert_eq!(c, a, "set reseeds");
    }
}
