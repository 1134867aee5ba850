//! What the dashboard's views share about loading: a resource reloaded on a timer while
//! what it shows is still changing (a queued or running scan), and the last answer of a
//! resource that loaded, kept when a reload fails.

use std::time::Duration;

use leptos::prelude::*;

/// Loads `resource` again `millis` milliseconds after each answer for which `again` holds.
/// The timer belongs to the calling component: dropped with it, and replaced by each answer's.
pub fn refetch_while<T: 'static>(resource: LocalResource<T>, millis: u64, again: impl Fn(&T) -> bool + 'static) {
    Effect::new(move |_| {
        if resource.with(|answer| answer.as_ref().is_some_and(&again)) {
            let refetch = move || resource.refetch();
            if let Ok(timer) = set_timeout_with_handle(refetch, Duration::from_millis(millis)) {
                on_cleanup(move || timer.clear());
            }
        }
    });
}

/// The last value `resource` loaded (`None` until one did), kept when a reload fails.
pub fn last_loaded<T, E>(resource: LocalResource<Result<T, E>>) -> Memo<Option<T>>
where
    T: Clone + PartialEq + Send + Sync + 'static,
    E: 'static,
{
    Memo::new(move |previous: Option<&Option<T>>| {
        resource.with(|answer| match answer {
            Some(Ok(value)) => Some(value.clone()),
            _ => previous.cloned().flatten(),
        })
    })
}

/// Says in `notice` why `resource` failed to load, each time it does.
pub fn say_failures<T: 'static>(resource: LocalResource<Result<T, String>>, notice: RwSignal<String>) {
    Effect::new(move |_| {
        if let Some(Some(message)) =
            resource.with(|answer| answer.as_ref().map(|answer| answer.as_ref().err().cloned()))
        {
            notice.set(message);
        }
    });
}
