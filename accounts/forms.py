from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from accounts.models import ROLES
from core.limits import Form


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class CodeForm(Form):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class ReauthForm(Form):
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    code = StringField("Code", validators=[Length(max=32)])


class PasswordChangeForm(Form):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("New password again", validators=[DataRequired(), EqualTo("new", "the two do not match")])


class SetPasswordForm(Form):
    name = StringField("Your name", validators=[Length(max=200)])
    new = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("Password again", validators=[DataRequired(), EqualTo("new", "the two do not match")])


class InviteForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=list(ROLES), default="campaigner")


class RoleForm(Form):
    role = SelectField("Role", choices=list(ROLES))
