"""Semantic search: find the news articles closest in meaning to a query (all-MiniLM-L6-v2).

The corpus was embedded once, offline, by `scripts/publish.py search-index`; the Space only embeds
the query.
"""

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr

MAX_RESULTS = 20

embedder = shared.load_embedder("news-embedder")
index = shared.load_vector_index("news-index", embedder=embedder)


def checked(query: object, k: object) -> tuple[str, int]:
    """The query and the number of results, or an InputError (on the CPU, before any GPU time)."""
    return shared.check_text(query, what="query"), shared.check_whole_number(
        k, what="number of results", low=1, high=MAX_RESULTS
    )


@shared.batched(max_size=32, check=checked)  # concurrent queries are embedded in one pass
@shared.gpu(duration=10)
def search(queries: list[str], counts: list[int]) -> list[list[list[object]]]:
    """For each query, rank, cosine score, topic and text of its `count` closest passages."""
    return [
        [[rank, round(hit.score, 4), hit.record["topic"], hit.record["text"]] for rank, hit in enumerate(hits, 1)]
        for hits in index.search_many(queries, k=counts)
    ]


with shared.page(
    __file__,
    f"Search {len(index):,} news articles by meaning, not keywords. Cosine similarity of sentence embeddings.",
    uses=["news-embedder", "news-index", "news-corpus"],
) as demo:
    with gr.Row():
        query = gr.Textbox(label="Query", placeholder="e.g. football match result", scale=4)
        k = gr.Slider(1, MAX_RESULTS, value=5, step=1, label="Results", scale=1)
    submit = gr.Button("Search", variant="primary")
    results = gr.Dataframe(
        headers=["rank", "score", "topic", "text"],
        datatype=["number", "number", "str", "str"],
        label="Closest articles",
    )
    shared.feedback("search", inputs=[query, k], outputs=[results])
    gr.Examples(["football match result", "interest rates and inflation", "a rocket to Mars"], inputs=query)
    gr.on(
        [submit.click, query.submit],
        search,
        inputs=[query, k],
        outputs=results,
        api_name="search",
        preprocess=False,  # checked() sees the raw values, types included
    )

if __name__ == "__main__":
    demo.launch()
