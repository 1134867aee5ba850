//! The dashboard's tables: scrollable sideways on narrow screens (and shown as one card per
//! row on phones, by the stylesheet), with a header row of column names.

use leptos::prelude::*;

/// A table; `columns` name the header cells, `""` for a column of actions (named for
/// screen readers only); `children` are its rows.
#[component]
pub fn DataTable(class: &'static str, columns: &'static [&'static str], children: Children) -> impl IntoView {
    let head = columns
        .iter()
        .map(|&column| match column {
            "" => view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> }.into_any(),
            name => view! { <th scope="col">{name}</th> }.into_any(),
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class=class>
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
