//! When the sync engine tries again: once a minute while all is well; after failures, capped
//! exponential backoff with jitter, so a ward's phones coming back together do not all knock at
//! the same second. Plain code over a given random number, so it is tested without a browser.

/// Time between syncs while all is well.
pub const IDLE_MS: u32 = 60_000;
/// The first retry after a failure, before jitter.
pub const BASE_MS: f64 = 2_000.0;
/// No wait is longer than this, before jitter.
pub const CAP_MS: f64 = 300_000.0;

/// The wait before the next sync after `failures` failures in a row (0: all is well), with
/// `random` in `[0, 1)` spreading it from half to one and a half times the schedule.
pub fn delay_ms(failures: u32, random: f64) -> u32 {
    if failures == 0 {
        return IDLE_MS;
    }
    let exp = BASE_MS * 2f64.powi((failures - 1).min(16) as i32);
    let jitter = 0.5 + random.clamp(0.0, 1.0);
    (exp.min(CAP_MS) * jitter) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn all_is_well_means_once_a_minute_whatever_the_dice() {
        assert_eq!(delay_ms(0, 0.0), 60_000);
        assert_eq!(delay_ms(0, 0.99), 60_000);
    }

    #[wasm_bindgen_test]
    fn each_failure_doubles_the_wait_from_two_seconds() {
        let mid: Vec<u32> = (1..=6).map(|n| delay_ms(n, 0.5)).collect();
        assert_eq!(mid, [2_000, 4_000, 8_000, 16_000, 32_000, 64_000]);
    }

    #[wasm_bindgen_test]
    fn the_wait_is_capped_at_five_minutes_even_after_a_thousand_failures() {
        assert_eq!(delay_ms(9, 0.5), 300_000);
        assert_eq!(delay_ms(1_000, 0.5), 300_000);
        assert_eq!(delay_ms(u32::MAX, 0.5), 300_000);
    }

    #[wasm_bindgen_test]
    fn jitter_spreads_a_wait_from_half_to_one_and_a_half_times() {
        assert_eq!(delay_ms(3, 0.0), 4_000);
        assert!(delay_ms(3, 0.999_999) >= 11_999);
        assert_eq!(delay_ms(20, 0.0), 150_000);
        assert!(delay_ms(20, 0.999_999) < 450_000);
        // Out-of-range dice cannot stretch it further.
        assert_eq!(delay_ms(3, 7.0), 12_000);
        assert_eq!(delay_ms(3, -1.0), 4_000);
    }
}
