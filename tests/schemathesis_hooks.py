"""schemathesis hooks (SCHEMATHESIS_HOOKS=schemathesis_hooks, from tests/): bodies of the image media types are real images.

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
