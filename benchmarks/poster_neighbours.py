"""A neighbour check a person can verify: MovieLens-1M's films nearest by poster, by text and by both.

For 20 well-known films, the 5 nearest by each kind of content vector (cosine over the content source's centred vectors:
text, poster, both as `ContentRecommender` combines them), and over every film with a poster, the genre agreement of the
10 nearest: the share of neighbours sharing at least one genre with the film, against random films. Posters from
$HRS_POSTERS_DIR (default ../shared/data/ml-1m-posters). Writes benchmarks/results/poster_neighbours.md (--no-write: print only).
`.venv/bin/python benchmarks/poster_neighbours.py` (seconds once the embeddings are cached).
"""
import argparse, os, sys, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FILMS = ["Toy Story (1995)", "Star Wars: Episode IV - A New Hope (1977)", "Godfather, The (1972)", "Titanic (1997)", "Jurassic Park (1993)",
         "Silence of the Lambs, The (1991)", "Pulp Fiction (1994)", "Lion King, The (1994)", "Alien (1979)", "Fargo (1996)",
         "Schindler's List (1993)", "Terminator 2: Judgment Day (1991)", "Casablanca (1942)", "Matrix, The (1999)", "Beauty and the Beast (1991)",
         "Psycho (1960)", "Forrest Gump (1994)", "Back to the Future (1985)", "Shining, The (1980)", "Wizard of Oz, The (1939)"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HRS_QUIET", "1")
    os.environ.setdefault("HRS_POSTERS_DIR", str(ROOT.parent / "shared" / "data" / "ml-1m-posters"))
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.embeddings import item_embeddings
    dataset = load_dataset("ml-1m")
    embeddings = item_embeddings(dataset)
    if embeddings.image is None: sys.exit(f"error: no posters: set HRS_POSTERS_DIR (now {os.environ['HRS_POSTERS_DIR']})")
    kinds = {"text": embeddings.vectors(1.0, 0.0), "poster": embeddings.vectors(0.0, 1.0), "both": embeddings.vectors(1.0, 1.0)}
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
    for film in FILMS:
        if film not in titles: continue
        i = titles.index(film)
        cells = []
        for kind in ("poster", "text", "both"):
            score = kinds[kind][candidates] @ kinds[kind][i]
            score[candidates == i] = -np.inf
            cells.append(", ".join(titles[j] for j in candidates[np.argsort(-score)[:5]]))
        lines.append(f"| {film} | {' | '.join(cells)} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (ROOT / "benchmarks" / "results" / "poster_neighbours.md").write_text(
            f"# benchmarks/poster_neighbours.py\n\nMeasured {time.strftime('%Y-%m-%d')}: `benchmarks/poster_neighbours.py`\n\n{text}")


if __name__ == "__main__":
    main()
