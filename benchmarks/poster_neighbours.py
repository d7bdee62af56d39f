"""A neighbour check a person can verify: MovieLens-1M's films nearest by poster, by text and by both.

For 20 well-known films, the 5 nearest by each kind of content vector (cosine over the content source's centred vectors:
text, poster, both as `ContentRecommender` combines them), and over every film with a poster, the genre agreement of the
10 nearest: the share of neighbours sharing at least one genre with the film, against random films. Posters from
$HRS_POSTERS_DIR (default ../shared/data/ml-1m-posters). Writes benchmarks/results/poster_neighbours.md (--no-write: print only).
`.venv/bin/python benchmarks/poster_neighbours.py` (seconds once the embeddings are cached).
"""
import argparse, os, sys

import numpy as np

from harness import ROOT, write_results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HRS_QUIET", "1")
    os.environ.setdefault("HRS_POSTERS_DIR", str(ROOT.parent / "shared" / "data" / "ml-1m-posters"))
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.embeddings import item_embeddings
    from hybrid_recsys.reports import NEIGHBOUR_KINDS, WELL_KNOWN_FILMS, content_neighbours
    dataset = load_dataset("ml-1m")
    embeddings = item_embeddings(dataset)
    if embeddings.image is None: sys.exit(f"error: no posters: set HRS_POSTERS_DIR (now {os.environ['HRS_POSTERS_DIR']})")
    kinds = {kind: embeddings.vectors(*weights) for kind, weights in NEIGHBOUR_KINDS.items()}
    has = embeddings.has_image
    genres = [set(g.split("|")) - {""} for g in dataset.items["genres"]]
    share = lambda i, others: np.mean([bool(genres[i] & genres[j]) for j in others])
    rows, rng = {}, np.random.default_rng(0)
    candidates = np.flatnonzero(has)
    for kind, vectors in kinds.items():
        similarity = vectors[candidates] @ vectors[candidates].T
        np.fill_diagonal(similarity, -np.inf)
        nearest = candidates[np.argsort(-similarity, axis=1)[:, :10]]
        rows[kind] = float(np.mean([share(i, n) for i, n in zip(candidates, nearest)]))
    rows["random films"] = float(np.mean([share(i, rng.choice(candidates[candidates != i], 10, replace=False)) for i in candidates]))
    lines = [f"{len(candidates):,} ML-1M films with a poster; offline encoder; cosine over the content source's centred vectors.", "",
             "Genre agreement of the 10 nearest (share of neighbours sharing a genre with the film):", "", "| neighbours by | agreement |",
             "|---|---|", *[f"| {kind} | {value:.3f} |" for kind, value in rows.items()], "", "The 5 nearest of 20 well-known films:", "",
             "| film | by poster | by text | by both |", "|---|---|---|---|"]
    titles = dataset.items["item_id"].astype(str).tolist()
    films = [film for film in WELL_KNOWN_FILMS if film in titles]
    nearest = content_neighbours(dataset, dataset.item_index(films))  # the lists the ml1m-posters report shows as posters
    for j, film in enumerate(films):
        lines.append(f"| {film} | {' | '.join(', '.join(titles[i] for i in nearest[kind][j]) for kind in ('poster', 'text', 'both'))} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_results("poster_neighbours", text)


if __name__ == "__main__":
    main()
