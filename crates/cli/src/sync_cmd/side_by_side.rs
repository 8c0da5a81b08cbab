//! The profiles of one `davsync sync` run side by side: up to
//! `max_parallel` at once, never two that share a folder or a collection,
//! and each result handed on in the order of the profiles (the output reads
//! as if they had run one after the other).

use crate::config::Profile;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;

/// Runs `run(i)` for each of `profiles`: at most `max_parallel` at once
/// (at least one), the next that may start started as soon as one ends,
/// never two that share a store ([`Profile::shares_a_store_with`]); hands
/// each result to `done` in the order of `profiles`, as soon as it and all
/// before it are in.
pub(crate) async fn run_in_order<T, F, Fut>(
    profiles: &[&Profile],
    max_parallel: usize,
    run: F,
    mut done: impl FnMut(usize, T),
) where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T>,
{
    let mut waiting: Vec<usize> = (0..profiles.len()).collect();
    let mut active: Vec<usize> = Vec::new();
    let mut running = FuturesUnordered::new();
    let mut results: Vec<Option<T>> = profiles.iter().map(|_| None).collect();
    let mut next = 0;
    loop {
        let mut candidate = 0;
        while candidate < waiting.len() && active.len() < max_parallel.max(1) {
            let index = waiting[candidate];
            let clashes = active
                .iter()
                .any(|&a| profiles[a].shares_a_store_with(profiles[index]));
            if clashes {
                candidate += 1;
                continue;
            }
            waiting.remove(candidate);
            active.push(index);
            let future = run(index);
            running.push(async move { (index, future.await) });
        }
        let Some((index, result)) = running.next().await else {
            break;
        };
        active.retain(|&a| a != index);
        results[index] = Some(result);
        while let Some(result) = results.get_mut(next).and_then(Option::take) {
            done(next, result);
            next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::cell::RefCell;
    use std::path::Path;
    use std::time::Duration;

    /// Profiles `p0`..`p{n-1}`, each on its own folder and collection but
    /// those listed in `shared`, which share the folder `/shared`.
    fn profiles(n: usize, shared: &[usize]) -> Vec<Profile> {
        let text: String = (0..n)
            .map(|i| {
                let folder = if shared.contains(&i) {
                    "/shared".to_string()
                } else {
                    format!("/p{i}")
                };
                format!(
                    "[profiles.p{i:02}]\ncontent = \"events\"\n\
                     local = {{ type = \"vdir\", path = \"{folder}\" }}\n\
                     server = {{ type = \"caldav\", url = \"https://dav.example.org/c{i}/\" }}\n"
                )
            })
            .collect();
        Config::parse(&text, Path::new("/x/config.toml"))
            .unwrap()
            .profiles
    }

    /// Runs `n` profiles whose runs take `lengths[i]` ms; returns the
    /// largest number running at once, the pairs that ran at once, and the
    /// order results came out in.
    fn run(
        n: usize,
        shared: &[usize],
        max_parallel: usize,
        lengths: &[u64],
    ) -> (usize, Vec<(usize, usize)>, Vec<usize>) {
        let all = profiles(n, shared);
        let refs: Vec<&Profile> = all.iter().collect();
        let now_running = RefCell::new(Vec::<usize>::new());
        let most = RefCell::new(0);
        let together = RefCell::new(Vec::new());
        let mut order = Vec::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(run_in_order(
            &refs,
            max_parallel,
            |i| {
                let (now_running, most, together) = (&now_running, &most, &together);
                async move {
                    for &other in now_running.borrow().iter() {
                        together.borrow_mut().push((other.min(i), other.max(i)));
                    }
                    now_running.borrow_mut().push(i);
                    let count = now_running.borrow().len();
                    let highest = (*most.borrow()).max(count);
                    *most.borrow_mut() = highest;
                    tokio::time::sleep(Duration::from_millis(lengths[i])).await;
                    now_running.borrow_mut().retain(|&r| r != i);
                    i * 10
                }
            },
            |i, result| {
                assert_eq!(result, i * 10, "each result with its profile");
                order.push(i);
            },
        ));
        (most.into_inner(), together.into_inner(), order)
    }

    #[test]
    fn up_to_max_parallel_run_at_once_and_results_come_in_profile_order() {
        // The later profiles end first: their results still wait their turn.
        let lengths = [60, 50, 40, 30, 20, 10];
        let (most, _, order) = run(6, &[], 3, &lengths);
        assert_eq!(most, 3);
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
        let (most, together, order) = run(6, &[], 1, &lengths);
        assert_eq!((most, together.len()), (1, 0), "one at a time");
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
        // max_parallel = 0 is taken as 1 rather than running nothing.
        let (most, _, order) = run(3, &[], 0, &lengths);
        assert_eq!((most, order.len()), (1, 3));
    }

    #[test]
    fn profiles_sharing_a_store_never_run_at_once_and_others_pass_them() {
        // p0 and p1 share a folder; p2 and p3 need not wait for p1.
        let (most, together, order) = run(4, &[0, 1], 4, &[50, 10, 10, 10]);
        assert!(!together.contains(&(0, 1)), "{together:?}");
        assert!(together.contains(&(0, 2)) && together.contains(&(0, 3)));
        assert_eq!(most, 3);
        assert_eq!(order, vec![0, 1, 2, 3]);
    }
}
