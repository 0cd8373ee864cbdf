def init(**kw):
    pass


def status():
    return {"backend": "sim"}
