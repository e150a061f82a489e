//! The bounded list of the latest events.

use std::collections::VecDeque;

/// Appends `item` and drops the oldest items beyond `keep`; with `keep == 0`
/// nothing is stored. Never copies the items already held.
pub fn push_bounded<T>(log: &mut VecDeque<T>, item: T, keep: usize) {
    if keep == 0 {
        log.clear();
        return;
    }
    while log.len() >= keep {
        log.pop_front();
    }
    log.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_in_order() {
        let mut log = VecDeque::new();
        for i in 0..10 {
            push_bounded(&mut log, i, 3);
            assert!(log.len() <= 3);
        }
        assert_eq!(log, [7, 8, 9]);
    }

    #[test]
    fn zero_keeps_none() {
        let mut log = VecDeque::new();
        for i in 0..1000 {
            push_bounded(&mut log, i, 0);
        }
        assert!(log.is_empty());
    }

    #[test]
    fn a_smaller_keep_trims_what_is_there() {
        let mut log: VecDeque<_> = (0..5).collect();
        push_bounded(&mut log, 5, 2);
        assert_eq!(log, [4, 5]);
    }
}
