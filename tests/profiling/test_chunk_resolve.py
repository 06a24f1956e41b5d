"""A chunk resolves a raw key to a stack once, from one walk, and only when the stack is
still the one the key was taken from."""

import json.decoder
import sys
from collections.abc import Callable
from types import FrameType

from scopetel._events.stacktrace import FrameOptions
from scopetel._profiling.chunk import Chunk
from scopetel._profiling.frames import FrameRenderer
from scopetel._profiling.sampler import _key


def raw_key(top: FrameType, max_depth: int = 128) -> int:
    return hash(tuple(_key(top)[: 2 * max_depth]))


def nested(depth: int, check: Callable[[FrameType], None]) -> None:
    """``check`` the stack of ``depth`` nested calls while they run (its innermost frame
    stays at one instruction meanwhile)."""
    if depth:
        nested(depth - 1, check)
    else:
        check(sys._getframe())


def frames_of(top: FrameType) -> list[FrameType]:
    frames: list[FrameType] = []
    frame: FrameType | None = top
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


def test_resolves_a_key_to_its_frames_innermost_first_and_remembers_it() -> None:
    chunk, renderer = Chunk(), FrameRenderer(FrameOptions())

    def check(top: FrameType) -> None:
        raw = raw_key(top)
        index = chunk.resolve(top, renderer, raw, 128)
        assert index is not None and chunk.raw_stacks.get(raw) == index
        stack = chunk.stacks[index]
        assert [chunk.frames[i]["function"] for i in stack[:6]] == ["nested"] * 6
        lines = [chunk.frames[i]["lineno"] for i in stack]
        assert lines == [frame.f_lineno for frame in frames_of(top)][: len(stack)]

    nested(5, check)


def test_a_key_taken_from_another_stack_is_not_resolved() -> None:
    chunk, renderer = Chunk(), FrameRenderer(FrameOptions())

    def check(top: FrameType) -> None:
        stale = raw_key(top) ^ 1  # as if the thread ran between the key and its resolution
        assert chunk.resolve(top, renderer, stale, 128) is None
        assert chunk.raw_stacks.get(stale) is None and chunk.stacks == []

    nested(3, check)


def test_known_instructions_add_no_frames_and_depth_is_bounded() -> None:
    chunk, renderer = Chunk(), FrameRenderer(FrameOptions())

    def check(top: FrameType) -> None:
        full = chunk.resolve(top, renderer, raw_key(top), 128)
        assert full is not None and len(chunk.stacks[full]) == 128
        frames = len(chunk.frames)
        short = chunk.resolve(top, renderer, raw_key(top, 10), 10)  # new key, same frames
        assert short is not None and short != full
        assert chunk.stacks[short] == chunk.stacks[full][:10]
        assert len(chunk.frames) == frames

    nested(200, check)


def test_a_new_line_of_a_known_code_renders_as_a_fresh_renderer_would() -> None:
    """The fields a code's frames share are made once a code; a line met later gets
    them with its own ``lineno``, in sentry-sdk's order, and the first line's frame is
    not changed by it."""
    code = test_a_key_taken_from_another_stack_is_not_resolved.__code__
    options = FrameOptions(in_app_include=("tests",))
    renderer = FrameRenderer(options)
    first = renderer.render(code, code.co_firstlineno, __name__)
    first_copy = dict(first)
    later = renderer.render(code, code.co_firstlineno + 3, __name__)
    fresh = FrameRenderer(options).render(code, code.co_firstlineno + 3, __name__)
    assert list(later.items()) == list(fresh.items())
    assert list(later) == ["abs_path", "module", "filename", "function", "lineno", "in_app"]
    assert later["lineno"] == code.co_firstlineno + 3 and later["in_app"] is True
    assert first == first_copy and first["lineno"] == code.co_firstlineno
    no_line = renderer.render(code, 0, __name__)
    assert "lineno" not in no_line and list(no_line)[-1] == "in_app"


def test_profile_frames_are_in_app_under_the_app_root_only() -> None:
    """Profile frames take ``in_app`` from the client's rule, as error frames do: the
    files under the app root are the application's, other files are not."""
    code = test_a_key_taken_from_another_stack_is_not_resolved.__code__
    here = code.co_filename.rsplit("/", 3)[0]  # the checkout holding tests/
    elsewhere = FrameRenderer(FrameOptions(app_root=here + "/src"))
    assert FrameRenderer(FrameOptions(app_root=here)).render(code, 1, __name__)["in_app"]
    assert elsewhere.render(code, 1, __name__)["in_app"] is False
    library = json.decoder.JSONDecoder.decode.__code__
    assert (
        FrameRenderer(FrameOptions(app_root="/")).render(library, 1, "json.decoder")["in_app"]
        is False
    )
