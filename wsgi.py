from parentlink import create_app

app = create_app()
