from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class ConfirmForm(FlaskForm):
    typed_name = StringField(
        "Your full name",
        validators=[
            DataRequired(message="Please type your name to confirm."),
            Length(min=2, max=200, message="Please type your full name (2 to 200 characters)."),
        ],
    )
