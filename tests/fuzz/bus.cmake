# tests/fuzz/bus.cmake - bus frames: the stream decoder, the envelope and
# every body type through frame_msg_parse(). Seeds (one frame per type and
# one stream of all of them) are written by `test_frame --seeds DIR` and
# checked byte for byte by test_frame's golden test.
parapet_fuzz(NAME fuzz_bus_frame SOURCES fuzz_bus_frame.c
    LIBS parapet_buscore)
