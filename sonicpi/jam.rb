# jam.rb - a performer's template: play lyricbridge's lines as a melody, every knob at the top.
#
# Run it INSTEAD of lyrics_melody.rb (tabla_groove.rb plays along with either). To change a
# knob, edit it below and press Run while it plays: the loops read every knob with `get` as
# they go, and a re-run live_loop keeps its place, so nothing stops and no line plays twice.
# BPM: a number in :jam_bpm wins; nil follows the bpm each line carries. The bridge still
# SENDS lines at its own bpm: a slower jam lets them queue up, a faster one waits for them.
# To move both, steer the bridge: jam_steer "bpm", 96.

set :jam_scale,   :minor_pentatonic   # any name from scale_names: :major, :dorian, :blues_minor
set :jam_root,    :e                  # the scale's home note
set :jam_octave,  4                   # 3 low, 4 middle, 5 high
set :jam_synth,   :tri                # :tri, :pluck, :piano, :hollow, :prophet ...
set :jam_bpm,     nil                 # nil: the line's bpm; a number (30..300) wins
set :jam_density, 0.3                 # 0..1: chance of an extra note inside each syllable
set :jam_swing,   0.0                 # beats an off-beat eighth comes late (0..0.2)
set :jam_amp,     0.8                 # loudness of the whole jam
set :jam_bridge_port, 4580            # the bridge's --control-port
set :jam_token,   nil                 # the bridge's --control-token, e.g. "tiger42" (nil: none)

# Steer the bridge live: uncomment one line, press Run, then comment it out again.
define :jam_steer do |what, *value|
  token = get(:jam_token)                     # the token, when the bridge wants one, goes first
  osc_send "127.0.0.1", get(:jam_bridge_port), "/lyricbridge/#{what}", *([token].compact + value)
end
# jam_steer "temperature", 1.3                # 0.1 safe and samey .. 2.0 wild words
# jam_steer "bpm", 96                         # tempo of the lines to come (30..300)
# jam_steer "seed-text", "under the silver moon"   # new lines start from these words (<= 200 chars)
# jam_steer "next"                            # send the next line now
# jam_steer "pause"                           # stop sending lines...
# jam_steer "resume"                          # ...and carry on
# jam_steer "chorus"                          # sing the song's chorus next
# jam_steer "voice", 0                        # the singing voice off (1: on), with --voice

# Two octaves of the chosen scale, from the root in the chosen octave.
define :jam_notes do
  scale(note(get(:jam_root), octave: get(:jam_octave)), get(:jam_scale), num_octaves: 2)
end

# Where the tune goes next: home at a full stop, up for a question or a shout,
# a leap on a stressed syllable, a step on the others.
define :jam_step do |pos, stress, mark, size|
  pos += { "?" => 2, "!" => 3 }[mark] || (stress > 0 ? [-2, 2] : [-1, 1]).choose
  pos = 0 if mark == "." || pos < 0
  [pos, size - 1].min
end

# The ears: put every line in a numbered inbox the moment it arrives.
live_loop :jam_ears do
  use_real_time
  lyric = sync "/osc*/lyricbridge/line"
  number = get(:jam_heard, 0) + 1
  set "/jam/inbox/#{number}", lyric
  set :jam_heard, number
end

# The melody: sing the inbox in order on Sonic Pi's clock, one note per syllable.
live_loop :jam_melody, init: nil do |wanted|
  use_bpm 60                                 # our own clock first (Sonic Pi 4: not Link's)
  wanted ||= get(:jam_heard, 0) + 1          # just started: sing the next line to come
  sleep 0.25 until get("/jam/inbox/#{wanted}")
  lyric = get("/jam/inbox/#{wanted}")
  bpm = get(:jam_bpm) || lyric[1]
  use_bpm bpm
  cue :lyricbridge_line, bpm: bpm, bars: lyric[2]   # the bass and tabla_groove.rb follow this
  pos, now = get(:jam_pos, 0), 0
  lyric[3].times do |i|
    stress, beat, beats, mark = lyric[6 + 5 * i, 4]
    beat += get(:jam_swing) if beat % 1 == 0.5     # swing: off-beat eighths come late
    sleep beat - now if beat > now
    now = beat if beat > now
    notes, amp = jam_notes, get(:jam_amp)
    pos = jam_step(pos, stress, mark, notes.length)
    use_synth get(:jam_synth)
    play notes[pos], amp: amp * [0.6, 1.0, 0.8][stress], release: beats * 0.8
    if beats >= 0.5 && rand < get(:jam_density)   # density: an extra note halfway through
      extra = notes[[[pos + [-1, 1, 2].choose, 0].max, notes.length - 1].min]   # never off the ends
      time_warp(beats / 2) { play extra, amp: amp * 0.4, release: beats / 2 }
    end
  end
  set :jam_pos, pos
  sleep lyric[2] * 4 - now                        # fill the line's bars
  wanted + 1
end

# The bass: the scale's home note an octave down on every bar of every line.
live_loop :jam_bass do
  use_bpm 60                                       # our own clock until the line's bpm comes
  cue_info = sync :lyricbridge_line
  use_bpm cue_info[:bpm]
  use_synth :fm
  cue_info[:bars].times do |bar|
    play jam_notes[0] - 12, amp: get(:jam_amp) * 0.5, sustain: 2, release: 1.5
    sleep bar == cue_info[:bars] - 1 ? 3.75 : 4    # last bar: back a sixteenth early
  end
end

# Knobs from a MIDI keyboard (lyricbridge run --midi): the bridge sends "/lyricbridge/knob"
# with a name and a value. density, swing, root and octave turn the jam's own knobs above
# (the last one moved wins, a keyboard or a Run); every knob is also kept as
# :lyricbridge_<name>, which tabla_groove.rb follows.
live_loop :jam_knobs do
  use_real_time
  name, value = sync "/osc*/lyricbridge/knob"
  value = value.to_sym if value.is_a?(String)   # a note name such as "a" becomes :a
  set "lyricbridge_#{name}".to_sym, value
  set "jam_#{name}".to_sym, value if %w[density swing root octave].include?(name)
end
