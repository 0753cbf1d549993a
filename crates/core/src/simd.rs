//! Hot loops compiled twice: for the baseline x86-64 the binary must run on, and for
//! AVX2 (with POPCNT), picked at run time. The loops are plain element-wise code that the
//! compiler vectorises; AVX2 runs them twice as wide, and POPCNT makes a descriptor
//! distance one instruction per word instead of a dozen.

/// Whether this CPU runs the wide builds made by [`wide_fn`]. Other architectures have
/// no wide build: there the macro compiles the baseline body alone.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
}

/// Defines a free function whose body is compiled for the baseline and for AVX2 + POPCNT,
/// the second used where [`has_avx2`]. The body is `#[inline(always)]` into both builds,
/// and so is everything it inlines; a closure it hands to another function (a parallel
/// loop) is compiled on its own, for the baseline, so call a wide function inside each
/// task rather than around the loop. Arguments are plain names with types.
macro_rules! wide_fn {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,popcnt")]
            unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if $crate::simd::has_avx2() {
                // SAFETY: the CPU was just found to support both features.
                return unsafe { wide($($arg),*) };
            }
            body($($arg),*)
        }
    };
}
pub(crate) use wide_fn;

#[cfg(test)]
mod tests {
    wide_fn! {
        fn ones(data: &[u64]) -> u32 {
            data.iter().map(|v| v.count_ones()).sum()
        }
    }

    #[test]
    fn the_wide_build_gives_the_plain_result() {
        let data: Vec<u64> = (0..1000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let plain: u32 = data.iter().map(|v| v.count_ones()).sum();
        assert_eq!(ones(&data), plain);
    }
}
