"""vulib: the library behind the video-understanding notebooks."""
