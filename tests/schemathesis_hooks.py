"""schemathesis hooks (SCHEMATHESIS_HOOKS=schemathesis_hooks, from tests/): bodies of the image media types are real images, and year ranges
are the right way up.


POST /images takes any bytes the schema calls binary, but stores only what Pillow decodes as an image; a JSON schema cannot say
"a decodable PNG". So the fuzzer draws images (random size and colours, every format the service takes), which the positive-data
check expects to be accepted, instead of random bytes, which the service refuses with its documented 415.
"""
import io

import schemathesis
from hypothesis import strategies as st
from PIL import Image


@st.composite
def images(draw, format_name: str):
    size = (draw(st.integers(1, 64)), draw(st.integers(1, 64)))
    colour = tuple(draw(st.integers(0, 255)) for _ in range(3))
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=format_name)
    return buffer.getvalue()


for media_type, format_name in (("image/jpeg", "JPEG"), ("image/png", "PNG"), ("image/webp", "WEBP"), ("image/gif", "GIF")):
    schemathesis.openapi.media_type(media_type, images(format_name))


def _upside_down(years) -> bool:
    "Whether a query or a body filter holds a year range whose year_min is after its year_max."
    if not isinstance(years, dict):
        return False
    try:
        return int(years["year_min"]) > int(years["year_max"])
    except (KeyError, TypeError, ValueError):
        return False


@schemathesis.hook
def filter_case(ctx, case):
    """A year range is two fields that a JSON schema cannot tie together: year_min after year_max is schema-valid, and
    the service refuses it (422, naming year_min). Cases keep the range the right way up, in the URL and in a body's
    filter (a hook on the whole case: the coverage phase applies only those)."""
    body = case.body if isinstance(case.body, dict) else {}
    return not (_upside_down(case.query) or _upside_down(body.get("filter")))
