//! Lessons: the lesson a link opened (its title and task, as plain text, and "Unlock
//! everything"), and the builder a teacher makes one with ("Copy lesson link"). What a lesson is
//! and what it hides or locks is `filterlab_page::lesson`.

use filterlab_page::lesson::{Control, LessonDraft, MAX_TASK, MAX_TITLE, Panel};
use leptos::prelude::*;

use crate::page::page;

/// The lesson the page opened with, above the panels.
#[component]
pub fn LessonBanner() -> impl IntoView {
    let page = page();
    let lesson = page.select(|s| s.lesson.as_ref().map(|l| (l.lesson.title.clone(), l.lesson.task.clone(), l.unlocked)));
    move || {
        lesson.get().map(|(title, task, unlocked)| {
            view! {
                // Text nodes only: a title or task with markup in it shows the markup as text.
                <section class="panel lesson" data-testid="lesson" aria-labelledby="lesson-title">
                    <h2 id="lesson-title" data-testid="lesson-title">{title}</h2>
                    <p class="lesson-task" data-testid="lesson-task">{task}</p>
                    {match unlocked {
                        false => view! {
                            <button data-testid="unlock" title="Show every panel and free every control"
                                on:click=move |_| page.state.update(|s| s.unlock())>"Unlock everything"</button>
                        }
                        .into_any(),
                        true => view! { <p class="small" data-testid="unlocked">"Everything is unlocked: this is the full lab."</p> }.into_any(),
                    }}
                </section>
            }
        })
    }
}

/// "Make a lesson": a title, a task, the panels to hide and the controls to lock; the link
/// carries them with the form's settings and the current model's filters.
#[component]
pub fn LessonBuilder() -> impl IntoView {
    let page = page();
    let title = page.select(|s| s.lesson_draft.title.clone());
    let task = page.select(|s| s.lesson_draft.task.clone());
    let link = RwSignal::new(None::<String>);
    // A tick for each panel to hide and each control to lock.
    let hide = move |panel: Panel| tick(format!("lesson-hide-{}", panel.word()), panel.name(), panel, |d| &mut d.hidden);
    let lock = move |control: Control| tick(format!("lesson-lock-{}", control.word()), control.name(), control, |d| &mut d.locked);
    view! {
        <section class="panel lesson-builder" data-testid="lesson-builder-panel" aria-labelledby="lesson-builder-title">
            <details>
                <summary data-testid="lesson-builder"><h2 id="lesson-builder-title">"Make a lesson"</h2></summary>
                <p class="small">"Set the page up for your class (settings, network, filters set by hand or frozen), choose what to hide and lock, write a title and a task: the link opens exactly this page. It lives in the link's fragment, which no server sees."</p>
                <label class="field">
                    <span>"Title"</span>
                    <input data-testid="lesson-title-input" maxlength=MAX_TITLE.to_string() prop:value=move || title.get()
                        on:input=move |ev| page.state.update(|s| s.lesson_draft.title = event_target_value(&ev)) />
                </label>
                <label class="lesson-task-field">
                    <span>"Task"</span>
                    <textarea data-testid="lesson-task-input" rows="3" maxlength=MAX_TASK.to_string() prop:value=move || task.get()
                        on:input=move |ev| page.state.update(|s| s.lesson_draft.task = event_target_value(&ev))></textarea>
                </label>
                <fieldset>
                    <legend>"Hide these panels"</legend>
                    <div class="lesson-choices">{Panel::ALL.into_iter().map(hide).collect_view()}</div>
                </fieldset>
                <fieldset>
                    <legend>"Lock these controls"</legend>
                    <div class="lesson-choices">{Control::ALL.into_iter().map(lock).collect_view()}</div>
                </fieldset>
                <div class="buttons">
                    <button data-testid="copy-lesson-link" on:click=move |_| link.set(page.copy_lesson_link())>"Copy lesson link"</button>
                </div>
                <Show when=move || link.with(Option::is_some)>
                    <label class="field link-field">
                        <span>"Lesson link"</span>
                        <input data-testid="lesson-link" readonly prop:value=move || link.get().unwrap_or_default()
                            on:focus=move |ev| { let _ = event_target::<web_sys::HtmlInputElement>(&ev).select(); } />
                    </label>
                </Show>
            </details>
        </section>
    }
}

/// A tick that puts `item` in the draft's list (`list`) or takes it out.
fn tick<T: Copy + PartialEq + Send + Sync + 'static>(id: String, name: &'static str, item: T, list: fn(&mut LessonDraft) -> &mut Vec<T>) -> impl IntoView {
    let page = page();
    let ticked = page.select(move |s| list(&mut s.lesson_draft.clone()).contains(&item));
    view! {
        <label class="check">
            <input type="checkbox" data-testid=id prop:checked=move || ticked.get()
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    page.state.update(|s| {
                        let list = list(&mut s.lesson_draft);
                        list.retain(|x| *x != item);
                        if on { list.push(item) }
                    })
                } />
            {name}
        </label>
    }
}
