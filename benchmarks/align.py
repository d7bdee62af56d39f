"""Can a text find its poster? Aligning the offline encoder's text and image spaces on MovieLens-1M's films.

The offline encoder's towers were trained apart (a sentence model, an ImageNet classifier), so a film's text vector says
nothing about its poster vector: a text query cannot find a picture. This fits what CLIP fits, on a small scale: two linear
projections over the frozen towers' vectors (text 384-d and poster 1280-d, centred on the training films) into one space,
trained with open_clip's contrastive loss (`ClipLoss`, a learned temperature) on the (poster, text) pairs of 80% of the films
with a poster, stopped on a tenth of those. On the other 20%, never seen in training: for each film's text, the rank of its own
poster among the held-out posters (recall@10, and the same from poster to text), against chance (10 / held-out films). Five
random film splits (--seeds). Writes benchmarks/results/align.md (--no-write: print only). `.venv/bin/python benchmarks/align.py`.
"""
import argparse, os, sys, time

import numpy as np

from harness import ROOT, write_results


def unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def recall_at(query: np.ndarray, target: np.ndarray, k: int = 10) -> float:
    "Share of rows whose own target (same row) is among the k nearest targets of the query."
    scores = query @ target.T
    own = np.diag(scores)
    return float(np.mean((scores > own[:, None]).sum(1) < k))


def fit(text, image, seed: int, dim: int, epochs: int, batch: int):
    "Two linear projections trained with ClipLoss; the epoch chosen on a tenth of the training pairs."
    import torch
    from open_clip.loss import ClipLoss
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(text)); stop = order[:len(text) // 10]; train = order[len(text) // 10:]
    t, v = torch.tensor(text, dtype=torch.float32), torch.tensor(image, dtype=torch.float32)
    text_proj, image_proj = torch.nn.Linear(text.shape[1], dim, bias=False), torch.nn.Linear(image.shape[1], dim, bias=False)
    logit_scale = torch.nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))
    params = [*text_proj.parameters(), *image_proj.parameters(), logit_scale]
    optimiser, loss_fn = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1), ClipLoss()
    embed = lambda rows: (torch.nn.functional.normalize(image_proj(v[rows]), dim=-1), torch.nn.functional.normalize(text_proj(t[rows]), dim=-1))
    best, best_state, since = -1.0, None, 0
    for epoch in range(epochs):
        for rows in np.array_split(rng.permutation(train), max(1, len(train) // batch)):
            i, x = embed(rows)
            loss = loss_fn(i, x, logit_scale.exp().clamp(max=100))
            optimiser.zero_grad(); loss.backward(); optimiser.step()
        with torch.no_grad():
            i, x = embed(stop)
            score = recall_at(x.numpy(), i.numpy())
        if score > best: best, best_state, since = score, (text_proj.weight.detach().clone(), image_proj.weight.detach().clone()), 0
        else:
            since += 1
            if since >= 10: break
    return best_state, best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HRS_QUIET", "1")
    os.environ.setdefault("HRS_POSTERS_DIR", str(ROOT.parent / "shared" / "data" / "ml-1m-posters"))
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.embeddings import item_embeddings
    embeddings = item_embeddings(load_dataset("ml-1m"))
    if embeddings.image is None: sys.exit(f"error: no posters: set HRS_POSTERS_DIR (now {os.environ['HRS_POSTERS_DIR']})")
    films = np.flatnonzero(embeddings.has_image)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        order = np.random.default_rng(seed).permutation(films)
        held, train = order[:len(order) // 5], order[len(order) // 5:]
        text_mean, image_mean = embeddings.text[train].mean(0), embeddings.image[train].mean(0)
        text, image = unit(embeddings.text - text_mean), unit(embeddings.image - image_mean)
        start = time.perf_counter()
        (w_text, w_image), stop_score = fit(text[train], image[train], seed, args.dim, args.epochs, args.batch)
        t_held, i_held = unit(text[held] @ w_text.numpy().T), unit(image[held] @ w_image.numpy().T)
        rows.append({"seed": seed, "held_out": len(held), "text_to_poster": recall_at(t_held, i_held), "poster_to_text": recall_at(i_held, t_held),
                     "chance": 10 / len(held), "stopping_recall": stop_score, "seconds": time.perf_counter() - start})
        print(rows[-1], file=sys.stderr, flush=True)
    mean = lambda key: np.mean([r[key] for r in rows]); std = lambda key: np.std([r[key] for r in rows], ddof=1) if len(rows) > 1 else 0.0
    lines = [f"ML-1M films with a poster: {len(films):,}; per seed, 20% held out ({rows[0]['held_out']} films), the projections "
             f"({args.dim}-d) fitted on the rest; recall@10 of a film's own poster (text) among the held-out ones; mean ± sd over "
             f"{len(rows)} seeds.", "", "| direction | recall@10 | chance |", "|---|---|---|",
             f"| text -> poster | {mean('text_to_poster'):.3f} ± {std('text_to_poster'):.3f} | {mean('chance'):.3f} |",
             f"| poster -> text | {mean('poster_to_text'):.3f} ± {std('poster_to_text'):.3f} | {mean('chance'):.3f} |", "",
             "Per seed: " + "; ".join(f"{r['seed']}: {r['text_to_poster']:.3f} / {r['poster_to_text']:.3f} ({r['seconds']:.0f} s)" for r in rows)]
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    if not args.no_write:
        write_results("align", text_out)


if __name__ == "__main__":
    main()
