//! The epoch log: the notebook's four numbers per epoch, the accuracy on the user's digits (when
//! any are kept), its time and dispatches per step.

use leptos::prelude::*;

use crate::page::page;

#[component]
pub fn EpochLog() -> impl IntoView {
    let history = page().select(|s| s.model.history.clone());
    view! {
        <section class="panel epochs" aria-labelledby="epochs-title">
            <h2 id="epochs-title">"Epochs"</h2>
            // Scrolls sideways on its own on a phone; the page does not.
            <div class="table-scroll" tabindex="0" role="region" aria-label="Epoch log">
                <table data-testid="epoch-log">
                    <thead><tr><th scope="col">"Epoch"</th><th scope="col">"Train loss"</th><th scope="col">"Train acc"</th><th scope="col">"Test loss"</th><th scope="col">"Test acc"</th><th scope="col">"Seconds"</th><th scope="col" title="WebGPU compute dispatches per training step">"Dispatches/step"</th><th scope="col" title="Accuracy on your kept digits of the task">"Your digits acc"</th></tr></thead>
                    <tbody>
                        // Keyed by the row's figures, not its number alone: an opened run's epoch 1 is not
                        // the epoch 1 shown before it.
                        <For each=move || history.get() key=|r| (r.epoch, r.train_loss.to_bits(), r.test_acc.to_bits(), r.seconds.to_bits()) let:r>
                            <tr class="epoch-row">
                                <td>{format!("{}/{}", r.epoch, r.epochs)}</td>
                                <td>{format!("{:.4}", r.train_loss)}</td>
                                <td>{format!("{:.4}", r.train_acc)}</td>
                                <td>{format!("{:.4}", r.test_loss)}</td>
                                <td>{format!("{:.4}", r.test_acc)}</td>
                                <td>{format!("{:.2}", r.seconds)}</td>
                                <td>{r.dispatches_per_step.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into())}</td>
                                <td>{r.my_acc.map(|a| format!("{a:.4}")).unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
    }
}
